// Starts the real monitoring stack on loopback from the binaries build-binaries.sh caches, with
// the repository's config files unchanged (only environment variables, free ports, and
// file_sd target files written next to a byte-identical copy of prometheus.yml):
//   - Jaeger v2 (monitoring/jaeger/config.yaml)
//   - one OpenTelemetry Collector per environment (monitoring/otel-collector-config.yml)
//   - Prometheus (monitoring/prometheus.yml + alerts.yml) with Alertmanager and a webhook sink
//   - a Mimir stand-in (a second Prometheus receiving remote write behind Basic auth)
//   - a Loki stand-in (a second collector receiving OTLP logs behind Basic auth, file out)
// Every process is its own process group, killed by stop() (also on a failed start); logs stay
// in the run directory, whose path every error message names.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '@ai-teams/test-utils';

export const MONITORING = resolve(__dirname, '..');

/** Test-only credentials of the stand-ins (stack/mimir-standin-web.yml, loki-standin-config.yml). */
export const STANDIN_TOKEN = 'stack-test-token';
export const MIMIR_USER = 'mimir';
export const LOKI_USER = 'loki';

export interface Binaries {
  collector: string;
  standin: string;
  jaeger: string;
  prometheus: string;
  alertmanager: string;
}

/** Builds (first run) or finds (later runs) every binary; throws with the build output. */
export function buildBinaries(): Binaries {
  const r = spawnSync(join(MONITORING, 'stack', 'build-binaries.sh'), ['all'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`build-binaries.sh failed:\n${r.stdout}${r.stderr}`);
  const found = Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]),
  );
  return found as unknown as Binaries;
}

/** One process of the stack. */
export class Proc {
  child: ChildProcess | undefined;
  constructor(
    readonly name: string,
    readonly logFile: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly env: Record<string, string>,
    private readonly ready: () => Promise<boolean>,
  ) {}

  async start(timeoutMs = 20_000): Promise<void> {
    const out = openSync(this.logFile, 'a');
    const child = spawn(this.command, this.args, {
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', out, out],
      detached: true,
    });
    this.child = child;
    let exited: string | undefined;
    child.once('exit', (code, signal) => (exited = `exited (${code ?? signal})`));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited) break;
      if (await this.ready().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} ${exited ?? 'not ready'} after start; log: ${this.logFile}`);
  }

  /** SIGTERM to the process group, SIGKILL after 5 s. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5000);
    await gone;
    clearTimeout(timer);
  }
}

async function httpOk(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(1000) });
  return res.ok;
}

export const basic = (user: string, password: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

export interface Collector {
  environment: string;
  proc: Proc;
  /** Environment variables it runs with (the ones a user sets in .env.monitoring). */
  env: Record<string, string>;
  /** OTLP/HTTP base URL for OTEL_EXPORTER_OTLP_ENDPOINT. */
  otlpHttp: string;
  otlpGrpc: string;
  /** Its `prometheus` exporter (what Prometheus scrapes as job="otel-collector"). */
  metricsUrl: string;
}

/** Alerts Alertmanager delivered to the webhook. */
export interface WebhookSink {
  url: string;
  notifications: {
    status: string;
    alerts: { status: string; labels: Record<string, string> }[];
    /** When the sink received it (ms since the epoch). */
    receivedAt: number;
  }[];
}

export interface Stack {
  dir: string;
  jaegerUrl: string;
  prometheusUrl: string;
  alertmanagerUrl: string;
  mimirUrl: string;
  lokiFile: string;
  collectors: Record<string, Collector>;
  webhook: WebhookSink;
  /** Points the `ai-teams-services` scrape job at these base URLs (file_sd reloads by itself). */
  setServiceTargets(urls: { url: string; app: string }[]): void;
  /** Stops every process; keeps the run directory if `keep` (default: options.keep). */
  stop(keep?: boolean): Promise<void>;
}

export interface StackOptions {
  /** One collector per environment, all feeding the same Mimir and Loki stand-ins. */
  environments?: string[];
  /** Keep the run directory (logs, data) after stop(). Default: keep only if a start failed. */
  keep?: boolean;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => ok(body));
  });
}

/** Starts everything; on failure stops what started and rethrows with the log directory. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const bin = buildBinaries();
  const environments = options.environments ?? ['dev'];
  const dir = mkdtempSync(join(tmpdir(), 'ai-teams-stack-'));
  const procs: Proc[] = [];
  let webhookServer: Server | undefined;
  const webhook: WebhookSink = { url: '', notifications: [] };

  const stop = async (keep: boolean): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop()));
    await new Promise<void>((r) => (webhookServer ? webhookServer.close(() => r()) : r()));
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };

  try {
    // Webhook sink for Alertmanager.
    webhookServer = createServer(async (req, res) => {
      const body = JSON.parse(await readBody(req)) as Omit<
        WebhookSink['notifications'][number],
        'receivedAt'
      >;
      webhook.notifications.push({ ...body, receivedAt: Date.now() });
      res.end();
    });
    await new Promise<void>((r) => webhookServer!.listen(0, '127.0.0.1', () => r()));
    webhook.url = `http://127.0.0.1:${(webhookServer.address() as { port: number }).port}/alerts`;

    // Jaeger v2.
    const j = {
      ui: await freePort(),
      grpc: await freePort(),
      otlpGrpc: await freePort(),
      otlpHttp: await freePort(),
      metrics: await freePort(),
      health: await freePort(),
    };
    const jaegerUrl = `http://127.0.0.1:${j.ui}`;
    procs.push(
      new Proc(
        'jaeger',
        join(dir, 'jaeger.log'),
        bin.jaeger,
        [`--config=${join(MONITORING, 'jaeger', 'config.yaml')}`],
        {
          JAEGER_LISTEN_HOST: '127.0.0.1',
          JAEGER_UI_PORT: String(j.ui),
          JAEGER_QUERY_GRPC_PORT: String(j.grpc),
          JAEGER_OTLP_GRPC_PORT: String(j.otlpGrpc),
          JAEGER_OTLP_HTTP_PORT: String(j.otlpHttp),
          JAEGER_METRICS_PORT: String(j.metrics),
          JAEGER_HEALTH_PORT: String(j.health),
        },
        () => httpOk(`http://127.0.0.1:${j.health}/status`),
      ),
    );

    // Mimir stand-in.
    const mimirPort = await freePort();
    const mimirUrl = `http://127.0.0.1:${mimirPort}`;
    mkdirSync(join(dir, 'mimir-data'));
    procs.push(
      new Proc(
        'mimir-standin',
        join(dir, 'mimir-standin.log'),
        bin.prometheus,
        [
          `--config.file=${join(MONITORING, 'stack', 'mimir-standin-prometheus.yml')}`,
          `--web.config.file=${join(MONITORING, 'stack', 'mimir-standin-web.yml')}`,
          '--web.enable-remote-write-receiver',
          `--web.listen-address=127.0.0.1:${mimirPort}`,
          `--storage.tsdb.path=${join(dir, 'mimir-data')}`,
        ],
        {},
        () => httpOk(`${mimirUrl}/-/ready`, basic(MIMIR_USER, STANDIN_TOKEN)),
      ),
    );

    // Loki stand-in.
    const loki = { http: await freePort(), health: await freePort() };
    const lokiFile = join(dir, 'loki-standin.jsonl');
    procs.push(
      new Proc(
        'loki-standin',
        join(dir, 'loki-standin.log'),
        bin.standin,
        [`--config=${join(MONITORING, 'stack', 'loki-standin-config.yml')}`],
        {
          STANDIN_OTLP_HTTP_PORT: String(loki.http),
          STANDIN_HEALTH_PORT: String(loki.health),
          STANDIN_OUTPUT: lokiFile,
        },
        () => httpOk(`http://127.0.0.1:${loki.health}/`),
      ),
    );

    // Collectors, one per environment.
    const collectors: Record<string, Collector> = {};
    for (const environment of environments) {
      const p = {
        grpc: await freePort(),
        http: await freePort(),
        prom: await freePort(),
        self: await freePort(),
        health: await freePort(),
      };
      const env: Record<string, string> = {
        ENVIRONMENT: environment,
        OTELCOL_BIND_HOST: '127.0.0.1',
        OTELCOL_OTLP_GRPC_PORT: String(p.grpc),
        OTELCOL_OTLP_HTTP_PORT: String(p.http),
        OTELCOL_PROMETHEUS_PORT: String(p.prom),
        OTELCOL_SELF_METRICS_PORT: String(p.self),
        OTELCOL_HEALTH_PORT: String(p.health),
        JAEGER_OTLP_ENDPOINT: `127.0.0.1:${j.otlpGrpc}`,
        GRAFANA_CLOUD_PROMETHEUS_URL: `${mimirUrl}/api/v1/write`,
        GRAFANA_CLOUD_PROMETHEUS_USER: MIMIR_USER,
        GRAFANA_CLOUD_LOKI_OTLP_URL: `http://127.0.0.1:${loki.http}/otlp`,
        GRAFANA_CLOUD_LOKI_USER: LOKI_USER,
        GRAFANA_CLOUD_API_KEY: STANDIN_TOKEN,
      };
      const proc = new Proc(
        `otel-collector-${environment}`,
        join(dir, `otel-collector-${environment}.log`),
        bin.collector,
        [`--config=${join(MONITORING, 'otel-collector-config.yml')}`],
        env,
        () => httpOk(`http://127.0.0.1:${p.health}/`),
      );
      procs.push(proc);
      collectors[environment] = {
        environment,
        proc,
        env,
        otlpHttp: `http://127.0.0.1:${p.http}`,
        otlpGrpc: `http://127.0.0.1:${p.grpc}`,
        metricsUrl: `http://127.0.0.1:${p.prom}/metrics`,
      };
    }

    // Alertmanager: the repository's file with the webhook URL pointed at the sink.
    const am = { web: await freePort() };
    const alertmanagerUrl = `http://127.0.0.1:${am.web}`;
    const amConfig = join(dir, 'alertmanager.yml');
    const original = readFileSync(join(MONITORING, 'alertmanager', 'alertmanager.yml'), 'utf8');
    const rewritten = original.replace('http://host.docker.internal:9099/alerts', webhook.url);
    if (rewritten === original) throw new Error('alertmanager.yml: webhook URL not found');
    writeFileSync(amConfig, rewritten);
    mkdirSync(join(dir, 'alertmanager-data'));
    procs.push(
      new Proc(
        'alertmanager',
        join(dir, 'alertmanager.log'),
        bin.alertmanager,
        [
          `--config.file=${amConfig}`,
          `--storage.path=${join(dir, 'alertmanager-data')}`,
          `--web.listen-address=127.0.0.1:${am.web}`,
          '--cluster.listen-address=',
        ],
        {},
        () => httpOk(`${alertmanagerUrl}/-/ready`),
      ),
    );

    // Prometheus: byte-identical prometheus.yml and alerts.yml, loopback file_sd targets.
    const promPort = await freePort();
    const prometheusUrl = `http://127.0.0.1:${promPort}`;
    const promDir = join(dir, 'prometheus');
    const targetsDir = join(promDir, 'prometheus', 'targets');
    mkdirSync(targetsDir, { recursive: true });
    copyFileSync(join(MONITORING, 'prometheus.yml'), join(promDir, 'prometheus.yml'));
    copyFileSync(join(MONITORING, 'alerts.yml'), join(promDir, 'alerts.yml'));
    const targets = (file: string, groups: unknown[]): void =>
      writeFileSync(join(targetsDir, file), JSON.stringify(groups));
    const hostPort = (url: string): string => new URL(url).host;
    targets('services.json', []);
    targets('otel-collector.json', [
      { targets: Object.values(collectors).map((c) => hostPort(c.metricsUrl)) },
    ]);
    targets('otel-collector-internal.json', [
      {
        targets: Object.values(collectors).map(
          (c) => `127.0.0.1:${c.env.OTELCOL_SELF_METRICS_PORT}`,
        ),
      },
    ]);
    targets('alertmanager.json', [{ targets: [hostPort(alertmanagerUrl)] }]);
    targets('prometheus.json', [{ targets: [hostPort(prometheusUrl)] }]);
    mkdirSync(join(dir, 'prometheus-data'));
    procs.push(
      new Proc(
        'prometheus',
        join(dir, 'prometheus.log'),
        bin.prometheus,
        [
          `--config.file=${join(promDir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
          '--storage.tsdb.retention.time=7d',
          `--web.listen-address=127.0.0.1:${promPort}`,
        ],
        {},
        () => httpOk(`${prometheusUrl}/-/ready`),
      ),
    );

    for (const p of procs) await p.start();

    return {
      dir,
      jaegerUrl,
      prometheusUrl,
      alertmanagerUrl,
      mimirUrl,
      lokiFile,
      collectors,
      webhook,
      setServiceTargets: (urls) =>
        targets(
          'services.json',
          urls.map((u) => ({ targets: [hostPort(u.url)], labels: { app: u.app } })),
        ),
      stop: (keep) => stop(keep ?? options.keep ?? false),
    };
  } catch (err) {
    await stop(true);
    throw new Error(`${(err as Error).message}\n(stack run directory kept: ${dir})`, {
      cause: err,
    });
  }
}

/** Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`);
}

/** An instant PromQL query; `auth` for the Mimir stand-in. */
export async function promQuery(
  baseUrl: string,
  query: string,
  headers: Record<string, string> = {},
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${baseUrl}/api/v1/query?query=${encodeURIComponent(query)}`, {
    headers,
  });
  if (!res.ok) throw new Error(`${baseUrl} query ${query}: HTTP ${res.status}`);
  const body = (await res.json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return body.data.result;
}
