import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface Service {
  url: string;
  child: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** Asks the service to flush and shut down its telemetry; resolves when it has. */
  shutdown(): Promise<void>;
  stop(): void;
}

/** Starts a fixture as its own process (fresh globals), with telemetry set through env. */
export function startService(
  fixture: string,
  env: Record<string, string>,
  execArgv: string[] = ['--require', '@ai-teams/telemetry/register'],
): Promise<Service> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    let stdout = '';
    const child = fork(path.join(__dirname, 'fixtures', fixture), [], {
      cwd: path.resolve(__dirname, '..'),
      execArgv,
      env: { PATH: process.env.PATH ?? '', OTEL_SERVICE_NAME: 'fixture-service', ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}: ${stderr}`)));
    child.once('message', (m: { port: number }) =>
      resolve({
        url: `http://127.0.0.1:${m.port}`,
        child,
        stderr: () => stderr,
        stdout: () => stdout,
        shutdown: () =>
          new Promise((done) => {
            child.once('message', () => done());
            child.send('shutdown');
          }),
        stop: () => {
          child.removeAllListeners('exit');
          child.kill();
        },
      }),
    );
  });
}
