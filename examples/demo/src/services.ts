import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '@ai-teams/test-utils';

export interface RunningService {
  name: string;
  url: string;
  child: ChildProcess;
  /** JSON log lines the service wrote on stdout, parsed. */
  lines: Record<string, unknown>[];
}

const EXAMPLES = path.resolve(__dirname, '../..');

/** Starts one example service the way production does: its own process, telemetry preloaded. */
export function startService(
  name: string,
  port: number,
  env: Record<string, string>,
): Promise<RunningService> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(EXAMPLES, name, 'dist/main.js'), [], {
      execArgv: ['--require', '@ai-teams/telemetry/register', '--no-warnings=ExperimentalWarning'],
      env: { ...process.env, ...env, PORT: String(port), OTEL_SERVICE_NAME: name },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    const service: RunningService = { name, url: `http://127.0.0.1:${port}`, child, lines: [] };
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          service.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          process.stderr.write(`${name} (not JSON): ${line}\n`);
        }
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`${name} exited with code ${code} before it was ready`)),
    );
    child.once('message', () => {
      child.removeAllListeners('exit');
      resolve(service);
    });
  });
}

/** The three services on free loopback ports, wired to each other. */
export async function startAll(env: Record<string, string>): Promise<RunningService[]> {
  const [gatewayPort, agentPort, enginePort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const agent = await startService('workflow-agent', agentPort!, env);
  const engine = await startService('workflow-engine', enginePort!, env);
  const gateway = await startService('api-gateway', gatewayPort!, {
    ...env,
    WORKFLOW_AGENT_URL: agent.url,
    WORKFLOW_ENGINE_URL: engine.url,
  });
  return [gateway, agent, engine];
}

export async function stopAll(services: RunningService[]): Promise<void> {
  await Promise.all(
    services.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.child.exitCode !== null) return resolve();
          s.child.once('exit', () => resolve());
          // Windows never delivers SIGTERM: kill() there ends the service at once, before it has
          // flushed its last spans and log records to the collector. The message stops it as
          // SIGTERM does elsewhere.
          if (process.platform === 'win32') s.child.send('shutdown');
          else s.child.kill('SIGTERM');
        }),
    ),
  );
}
