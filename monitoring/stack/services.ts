// The three example services (examples/api-gateway, workflow-agent, workflow-engine) as separate
// processes the way production runs them: `node --require @ai-teams/telemetry/register
// dist/main.js`, exporting traces and logs over OTLP/HTTP to one of the stack's collectors.
// Each runs in its own process group (harness Proc), its stdout (JSON log lines) in the run
// directory. Needs `npm run build` first (the root `test:stack` script does it).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '@ai-teams/test-utils';
import { MONITORING, Proc, type Collector } from './harness';

const REPO = resolve(MONITORING, '..');
const NAMES = ['api-gateway', 'workflow-agent', 'workflow-engine'] as const;
export type ServiceName = (typeof NAMES)[number];

export interface Services {
  /** Base URLs by service name. */
  urls: Record<ServiceName, string>;
  procs: Proc[];
  logFile(name: ServiceName): string;
  stop(): Promise<void>;
}

export interface ServicesOptions {
  /** The run directory (logs). */
  dir: string;
  collector: Collector;
  /** prometheus: /metrics scraped by Prometheus; otlp: pushed to the collector every 15 s. */
  metrics: 'prometheus' | 'otlp';
  /** Log file prefix, to tell several sets apart. */
  label: string;
}

/** Starts agent and engine, then the gateway wired to them; all stopped if one fails. */
export async function startServices(options: ServicesOptions): Promise<Services> {
  const register = require.resolve('@ai-teams/telemetry/register', { paths: [REPO] });
  const ports = {
    'api-gateway': await freePort(),
    'workflow-agent': await freePort(),
    'workflow-engine': await freePort(),
  };
  const urls = Object.fromEntries(NAMES.map((n) => [n, `http://127.0.0.1:${ports[n]}`])) as Record<
    ServiceName,
    string
  >;
  const logFile = (name: ServiceName): string => join(options.dir, `${options.label}-${name}.log`);
  const procs: Proc[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop()));
  };
  try {
    for (const name of ['workflow-agent', 'workflow-engine', 'api-gateway'] as const) {
      const main = join(REPO, 'examples', name, 'dist', 'main.js');
      if (!existsSync(main)) throw new Error(`${main} missing: run \`npm run build\` first`);
      const proc = new Proc(
        `${options.label} ${name}`,
        logFile(name),
        process.execPath,
        ['--require', register, '--no-warnings=ExperimentalWarning', main],
        {
          PORT: String(ports[name]),
          HOST: '127.0.0.1',
          OTEL_SERVICE_NAME: name,
          OTEL_EXPORTER_OTLP_ENDPOINT: options.collector.otlpHttp,
          OTEL_METRICS_EXPORTER: options.metrics,
          OTEL_BSP_SCHEDULE_DELAY: '200',
          OTEL_BLRP_SCHEDULE_DELAY: '200',
          ENVIRONMENT: options.collector.environment,
          PROJECT: 'starmates-ai-team',
          LOG_LEVEL: 'info',
          ...(name === 'api-gateway'
            ? {
                WORKFLOW_AGENT_URL: urls['workflow-agent'],
                WORKFLOW_ENGINE_URL: urls['workflow-engine'],
              }
            : {}),
        },
        async () => {
          const res = await fetch(`${urls[name]}/health`, { signal: AbortSignal.timeout(1000) });
          return res.ok;
        },
      );
      procs.push(proc);
      await proc.start(30_000);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { urls, procs, logFile, stop };
}
