// The acceptance list of the plan on the real stack (issue 8): the three example services as
// separate processes export traces and logs over OTLP to the built collector (repository config
// unchanged), Prometheus scrapes their /metrics through the `ai-teams-services` job of
// prometheus.yml (file_sd target pointed at their loopback ports), and real HTTP traffic drives
// everything. Figures (delays, latencies, series) are printed with the results.
import { strict as assert } from 'node:assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import {
  basic,
  eventually,
  MIMIR_USER,
  promQuery,
  STANDIN_TOKEN,
  startStack,
  type Stack,
} from '../harness';
import { startServices, type ServiceName, type Services } from '../services';

const PROJECT = 'starmates-ai-team';
/** docs/cost.md: one environment, one replica of each service. */
const SERIES_BUDGET_ONE_ENV = 1550;
/** alerts.yml SeriesBudgetNearFreeTier threshold (80 % of the 10k free tier). */
const SERIES_ALERT_THRESHOLD = 8000;

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  processID: string;
  references: { refType: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: { key: string; value: unknown }[] }>;
}

const log = (line: string): void => console.log(`      ${line}`);
const ms = (n: number): string => `${n.toFixed(1)} ms`;

async function createSession(gateway: string, fail = false): Promise<Response> {
  return fetch(`${gateway}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      user_id: `user-${randomBytes(3).toString('hex')}`,
      workflow_type: 'report',
      ...(fail ? { fail: true } : {}),
    }),
    signal: AbortSignal.timeout(10_000),
  });
}

/** Runs `count` calls of `one` with at most `concurrency` in flight; returns each duration. */
async function batch(
  count: number,
  concurrency: number,
  one: (i: number) => Promise<void>,
): Promise<number[]> {
  const durations: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const t = performance.now();
      await one(i);
      durations.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return durations;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function jaegerTrace(stack: Stack, traceId: string): Promise<JaegerTrace | undefined> {
  const r = await fetch(`${stack.jaegerUrl}/api/traces/${traceId}`);
  if (!r.ok) return undefined;
  return ((await r.json()) as { data: JaegerTrace[] }).data[0];
}

/** The trace once spans from all three services are in. */
function completeTrace(stack: Stack, traceId: string): Promise<JaegerTrace> {
  return eventually(`trace ${traceId} with spans of all three services in Jaeger`, async () => {
    const t = await jaegerTrace(stack, traceId);
    if (!t) return undefined;
    const services = new Set(Object.values(t.processes).map((p) => p.serviceName));
    return services.size === 3 ? t : undefined;
  });
}

const tagsOf = (tags: { key: string; value: unknown }[]): Record<string, unknown> =>
  Object.fromEntries(tags.map((t) => [t.key, t.value]));

async function promValue(stack: Stack, query: string): Promise<number> {
  const r = await promQuery(stack.prometheusUrl, query);
  return r.length === 0 ? 0 : Number(r[0]!.value[1]);
}

describe('the example services on the real stack (issue 8 acceptance)', function () {
  this.timeout(30 * 60 * 1000);
  let stack: Stack;
  let dev: Services;
  const extra: Services[] = [];
  let failed: string | undefined;
  /** A request's tracking id (= its trace id), reused by the log check. */
  let trackingId: string;

  before(async function () {
    this.timeout(30 * 60 * 1000);
    stack = await startStack({ environments: ['dev', 'prod'] });
    try {
      dev = await startServices({
        dir: stack.dir,
        collector: stack.collectors.dev!,
        metrics: 'prometheus',
        label: 'dev',
      });
    } catch (err) {
      await stack.stop(true);
      throw new Error(
        `starting the services failed: ${(err as Error).message}; logs: ${stack.dir}`,
        { cause: err },
      );
    }
    stack.setServiceTargets(
      (Object.entries(dev.urls) as [ServiceName, string][]).map(([app, url]) => ({ url, app })),
    );
  });

  afterEach(function () {
    const t = this.currentTest;
    if (t?.state === 'failed') {
      failed = t.title;
      console.error(`\n  step failed: "${t.title}"\n  logs kept in ${stack?.dir}\n`);
    }
  });

  after(async () => {
    await Promise.all([dev?.stop(), ...extra.map((s) => s.stop())]);
    await stack?.stop(failed !== undefined);
    if (failed) console.error(`  run directory kept: ${stack?.dir}`);
  });

  it('1. one trace per request in Jaeger: spans of all three services, parent links, environment and project from the collector', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await createSession(dev.urls['api-gateway']);
      assert.equal(res.status, 201);
      const body = (await res.json()) as { session_id: string; tracking_id: string };
      assert.match(body.tracking_id, /^[0-9a-f]{32}$/);
      assert.equal(res.headers.get('x-tracking-id'), body.tracking_id);
      ids.push(body.tracking_id);
    }
    assert.equal(new Set(ids).size, 3, 'each request has its own trace');
    trackingId = ids[0]!;
    for (const id of ids) {
      const t = await completeTrace(stack, id);
      assert.ok(t.spans.every((s) => s.traceID === id));
      const service = (s: JaegerSpan): string => t.processes[s.processID]!.serviceName;
      const kind = (s: JaegerSpan): unknown => tagsOf(s.tags)['span.kind'];
      const byId = new Map(t.spans.map((s) => [s.spanID, s]));
      const parentOf = (s: JaegerSpan): JaegerSpan | undefined => {
        const ref = s.references.find((r) => r.refType === 'CHILD_OF');
        return ref ? byId.get(ref.spanID) : undefined;
      };
      // One root: the gateway's server span.
      const roots = t.spans.filter((s) => s.references.length === 0);
      assert.deepEqual(
        roots.map((s) => [service(s), kind(s)]),
        [['api-gateway', 'server']],
      );
      // Each downstream service's server span hangs under a gateway client span.
      for (const downstream of ['workflow-agent', 'workflow-engine']) {
        const server = t.spans.find((s) => service(s) === downstream && kind(s) === 'server');
        assert.ok(server, `${downstream} server span`);
        const parent = parentOf(server);
        assert.ok(parent, `${downstream} server span has its parent in the trace`);
        assert.deepEqual([service(parent), kind(parent)], ['api-gateway', 'client']);
      }
      for (const p of Object.values(t.processes)) {
        const tags = tagsOf(p.tags);
        assert.equal(tags['deployment.environment'], 'dev', p.serviceName);
        assert.equal(tags.project, PROJECT, p.serviceName);
      }
    }
    log(`${ids.length} requests -> ${ids.length} traces, each with spans of all three services`);
  });

  it('8. a request is visible as a metric in Prometheus in under 30 s', async () => {
    const query =
      'sum(request_count_total{job="ai-teams-services",service_name="api-gateway",endpoint="/api/v1/sessions/:id",status_code="404"})';
    const before = await promValue(stack, query);
    const started = Date.now();
    const res = await fetch(`${dev.urls['api-gateway']}/api/v1/sessions/${randomUUID()}`);
    assert.equal(res.status, 404);
    await eventually(
      'the request counted in Prometheus',
      async () => ((await promValue(stack, query)) > before ? true : undefined),
      30_000,
      200,
    );
    const delay = Date.now() - started;
    log(
      `request -> metric visible in Prometheus: ${(delay / 1000).toFixed(1)} s (scrape every 15 s)`,
    );
    assert.ok(delay < 30_000);
  });

  it('2a. Prometheus has HTTP, business and AI metrics of each service with environment, project, service labels', async () => {
    const expected: [string, ServiceName][] = [
      ['request_count_total', 'api-gateway'],
      ['request_count_total', 'workflow-agent'],
      ['request_count_total', 'workflow-engine'],
      ['request_duration_seconds_bucket', 'api-gateway'],
      ['request_duration_seconds_bucket', 'workflow-engine'],
      ['endpoint_usage_total', 'api-gateway'],
      ['endpoint_usage_total', 'workflow-agent'],
      ['user_activity_total', 'workflow-agent'],
      ['ai_requests_total', 'workflow-agent'],
      ['ai_tokens_total', 'workflow-agent'],
      ['ai_cost_total', 'workflow-agent'],
    ];
    for (const [name, service] of expected) {
      const series = await eventually(`${name} of ${service} in Prometheus`, async () => {
        const r = await promQuery(
          stack.prometheusUrl,
          `${name}{job="ai-teams-services",service="${service}"}`,
        );
        return r.length > 0 ? r : undefined;
      });
      for (const s of series) {
        assert.deepEqual(
          [s.metric.environment, s.metric.project, s.metric.service],
          ['dev', PROJECT, service],
          `${name} ${JSON.stringify(s.metric)}`,
        );
      }
    }
    const tokens = await promValue(
      stack,
      'sum(ai_tokens_total{job="ai-teams-services",service="workflow-agent"})',
    );
    assert.ok(tokens > 0);
  });

  it('2b/3. services pushing OTLP metrics: dev and prod collectors remote-write them to the Mimir stand-in with external labels and Basic auth, kept apart', async () => {
    for (const environment of ['dev', 'prod']) {
      const s = await startServices({
        dir: stack.dir,
        collector: stack.collectors[environment]!,
        metrics: 'otlp',
        label: `${environment}-otlp`,
      });
      extra.push(s);
      const count = environment === 'dev' ? 2 : 3;
      for (let i = 0; i < count; i++) {
        assert.equal((await createSession(s.urls['api-gateway'])).status, 201);
      }
    }
    const auth = basic(MIMIR_USER, STANDIN_TOKEN);
    // The OTLP reader exports every 15 s; the collector batches and remote-writes.
    const byEnv = await eventually(
      'gateway POST counts of both environments in the Mimir stand-in',
      async () => {
        const r = await promQuery(
          stack.mimirUrl,
          'sum by (environment, project, service) (request_count_total{service_name="api-gateway",endpoint="/api/v1/sessions",method="POST"})',
          auth,
        );
        const values = r
          .map((x) => [x.metric.environment, x.metric.project, x.metric.service, x.value[1]])
          .sort();
        // `service` too: the packages put it on the data points in otlp mode.
        return JSON.stringify(values) ===
          JSON.stringify([
            ['dev', PROJECT, 'api-gateway', '2'],
            ['prod', PROJECT, 'api-gateway', '3'],
          ])
          ? values
          : undefined;
      },
      60_000,
      500,
    );
    log(`Mimir stand-in: ${JSON.stringify(byEnv)}`);
    // AI metrics of workflow-agent (its own 15 s export, not in step with the gateway's).
    await eventually(
      'ai_requests_total of both environments in the Mimir stand-in',
      async () => {
        const r = await promQuery(
          stack.mimirUrl,
          'sum by (environment, service) (ai_requests_total{job="workflow-agent"})',
          auth,
        );
        const values = r.map((x) => [x.metric.environment, x.metric.service, x.value[1]]).sort();
        return JSON.stringify(values) ===
          JSON.stringify([
            ['dev', 'workflow-agent', '2'],
            ['prod', 'workflow-agent', '3'],
          ])
          ? values
          : undefined;
      },
      60_000,
      500,
    );
    // Basic auth: required (401 without or with a wrong password) and accepted (the data above).
    assert.equal((await fetch(`${stack.mimirUrl}/api/v1/query?query=up`)).status, 401);
    const write = await fetch(`${stack.mimirUrl}/api/v1/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body: new Uint8Array(0),
    });
    assert.equal(write.status, 401);
    // The collector reports no failed remote writes.
    const collectorSelf = await (
      await fetch(
        `http://127.0.0.1:${stack.collectors.prod!.env.OTELCOL_SELF_METRICS_PORT}/metrics`,
      )
    ).text();
    const sent = collectorSelf
      .split('\n')
      .filter(
        (l) =>
          l.startsWith('otelcol_exporter_sent_metric_points') &&
          l.includes('prometheus_remote_write'),
      );
    assert.ok(
      sent.some((l) => Number(l.split(' ').at(-1)) > 0),
      sent.join('\n'),
    );
    await Promise.all(extra.splice(0).map((s) => s.stop()));
  });

  it('4. the Loki stand-in received the JSON logs of a request, carrying its tracking id', async () => {
    const lines = await eventually('log records with the tracking id in the stand-in', async () => {
      if (!existsSync(stack.lokiFile)) return undefined;
      const found = readFileSync(stack.lokiFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes(trackingId));
      return found.length > 0 ? found : undefined;
    });
    type Attr = { key: string; value: { stringValue?: string } };
    const records = lines.flatMap((line) =>
      (
        JSON.parse(line) as {
          resourceLogs: {
            resource: { attributes: Attr[] };
            scopeLogs: { logRecords: { traceId?: string; body?: { stringValue?: string } }[] }[];
          }[];
        }
      ).resourceLogs.flatMap((rl) => {
        const resource = Object.fromEntries(
          rl.resource.attributes.map((a) => [a.key, a.value.stringValue]),
        );
        return rl.scopeLogs.flatMap((sl) =>
          sl.logRecords
            .filter((r) => r.traceId === trackingId)
            .map((r) => ({ resource, record: r })),
        );
      }),
    );
    const services = new Set(records.map((r) => r.resource['service.name']));
    assert.ok(services.has('api-gateway'), [...services].join());
    for (const r of records) {
      assert.equal(r.resource['deployment.environment'], 'dev');
      assert.equal(r.resource.project, PROJECT);
    }
    // The same request's JSON line on the gateway's stdout carries the same tracking id.
    const stdout = readFileSync(dev.logFile('api-gateway'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => JSON.stringify(l).includes(trackingId));
    assert.ok(stdout.length > 0, 'a JSON line with the tracking id on stdout');
    log(
      `${records.length} OTLP log records of trace ${trackingId} from ${[...services].sort().join(', ')}; ${stdout.length} JSON stdout lines`,
    );
  });

  it('6. with the collector stopped the services answer with normal latency; after restart new traces arrive', async () => {
    const gateway = dev.urls['api-gateway'];
    const run = () =>
      batch(300, 4, async () => {
        const res = await createSession(gateway);
        assert.equal(res.status, 201);
        await res.arrayBuffer();
      });
    await run(); // warm-up
    const up = await run();
    const collector = stack.collectors.dev!;
    await collector.proc.stop();
    let down: number[];
    try {
      down = await run();
    } finally {
      await collector.proc.start();
    }
    const figures = (d: number[]) => `p50 ${ms(percentile(d, 50))}, p99 ${ms(percentile(d, 99))}`;
    log(`latency, 300 POST /api/v1/sessions, 4 in flight: collector up ${figures(up)}`);
    log(`                                                  collector down ${figures(down)}`);
    assert.ok(
      percentile(down, 50) < 3 * percentile(up, 50) + 20,
      `p50 down ${percentile(down, 50)} vs up ${percentile(up, 50)}`,
    );
    assert.ok(
      percentile(down, 99) < 3 * percentile(up, 99) + 100,
      `p99 down ${percentile(down, 99)} vs up ${percentile(up, 99)}`,
    );
    const res = await createSession(gateway);
    assert.equal(res.status, 201);
    const { tracking_id } = (await res.json()) as { tracking_id: string };
    await completeTrace(stack, tracking_id);
  });

  let burstStarted = 0;
  let burstEnded = 0;

  it('7. metric series stay under the budget after 20,000 mixed requests (unknown paths, random ids, errors)', async () => {
    const gateway = dev.urls['api-gateway'];
    const sessions: string[] = [];
    let gatewayRequests = 0;
    const statuses = new Map<number, number>();
    burstStarted = Date.now();
    const durations = await batch(20_000, 16, async (i) => {
      const kind = i % 10;
      let res: Response;
      if (kind < 4) res = await createSession(gateway);
      else if (kind === 4)
        res = await createSession(gateway, true); // 10 %: engine fails, 502
      else if (kind < 7)
        res = await fetch(`${gateway}/api/v1/sessions/${randomUUID()}`); // random ids: 404
      else if (kind < 9)
        res = await fetch(`${gateway}/${randomBytes(6).toString('hex')}/${i}`); // unknown: 404
      else {
        const id = sessions[i % Math.max(1, sessions.length)];
        res = await fetch(`${gateway}/api/v1/sessions/${id ?? randomUUID()}`);
      }
      gatewayRequests++;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const body = (await res.json()) as { session_id?: string };
      if (res.status === 201 && sessions.length < 1000) sessions.push(body.session_id!);
    });
    burstEnded = Date.now();
    const seconds = (burstEnded - burstStarted) / 1000;
    log(
      `20,000 requests in ${seconds.toFixed(0)} s (${(20_000 / seconds).toFixed(0)} req/s, 16 in flight, p50 ${ms(percentile(durations, 50))}, p99 ${ms(percentile(durations, 99))}); statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    assert.deepEqual([...statuses.keys()].sort(), [200, 201, 404, 502]);
    // Wait for a scrape that has seen all of them.
    await eventually(
      'a scrape counting all 20,000 gateway requests',
      async () =>
        (await promValue(
          stack,
          'sum(request_count_total{job="ai-teams-services",service="api-gateway"})',
        )) >= gatewayRequests
          ? true
          : undefined,
      45_000,
      1000,
    );
    const bySvc = await promQuery(
      stack.prometheusUrl,
      'count by (service) ({job="ai-teams-services", service!=""})',
    );
    const total = await promValue(stack, 'count({job="ai-teams-services"})');
    const collectorSeries = await promValue(
      stack,
      'sum(scrape_samples_post_metric_relabeling{job="otel-collector"})',
    );
    log(
      `series after 20k requests: ${total} in job ai-teams-services (${bySvc.map((s) => `${s.metric.service} ${s.value[1]}`).join(', ')}); budget ${SERIES_BUDGET_ONE_ENV} (docs/cost.md, one environment); collector exposition ${collectorSeries} (alert at ${SERIES_ALERT_THRESHOLD})`,
    );
    assert.equal(bySvc.length, 3);
    assert.ok(total < SERIES_BUDGET_ONE_ENV, `${total} series`);
    assert.ok(collectorSeries < SERIES_ALERT_THRESHOLD);
    // Unknown paths and random ids did not become label values.
    const endpoints = await promQuery(
      stack.prometheusUrl,
      'count by (endpoint) (request_count_total{job="ai-teams-services",service="api-gateway"})',
    );
    assert.deepEqual(endpoints.map((e) => e.metric.endpoint).sort(), [
      '/api/v1/sessions',
      '/api/v1/sessions/:id',
      'unmatched',
    ]);
  });

  const notified = (status: 'firing' | 'resolved', service: string) => () =>
    Promise.resolve(
      stack.webhook.notifications.find(
        (n) =>
          n.status === status &&
          n.alerts.some(
            (a) =>
              a.labels.alertname === 'HighErrorRatio' &&
              a.labels.service_name === service &&
              a.labels.environment === 'dev',
          ),
      ),
    );

  it('5. the error share of that traffic (10 % POSTs with fail: true) fires HighErrorRatio in Prometheus and at the Alertmanager webhook', async () => {
    // The burst alone keeps the ratio true for about 105 s of the rule's 2-minute rate window
    // (two scrapes 15 s apart), against its `for: 1m` and 15 s evaluations: a scrape missed
    // under load leaves too little, and one CI run in three timed out. The same mix goes on at
    // 4 requests a second (one in ten failing), as a failure that lasts would, until it fires.
    const gateway = dev.urls['api-gateway'];
    const burstRan = burstEnded - burstStarted;
    let trickling = true;
    const trickle = (async () => {
      for (let i = 0; trickling && i < 1500; i++) {
        const res = await createSession(gateway, i % 10 === 0).catch(() => undefined);
        await res?.arrayBuffer().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    let firing: Awaited<ReturnType<ReturnType<typeof notified>>>;
    try {
      firing = await eventually(
        'HighErrorRatio for api-gateway firing at the webhook',
        notified('firing', 'api-gateway'),
        5 * 60_000,
        500,
      );
    } finally {
      trickling = false;
      await trickle;
      burstEnded = Date.now(); // the errors stop here
    }
    const rules = (await (await fetch(`${stack.prometheusUrl}/api/v1/alerts`)).json()) as {
      data: { alerts: { labels: Record<string, string>; state: string }[] };
    };
    assert.ok(
      rules.data.alerts.some(
        (a) => a.labels.alertname === 'HighErrorRatio' && a.labels.service_name === 'api-gateway',
      ),
    );
    const alert = firing.alerts.find((a) => a.labels.alertname === 'HighErrorRatio')!;
    assert.equal(alert.labels.severity, 'critical');
    log(
      `HighErrorRatio firing at the webhook ${((firing.receivedAt - burstStarted) / 1000).toFixed(0)} s after the burst started (the burst ran ${(burstRan / 1000).toFixed(0)} s, the trickle until it fired)`,
    );
  });

  it('5. ...and resolves once the errors stop', async () => {
    const resolved = await eventually(
      'HighErrorRatio for api-gateway resolved at the webhook',
      notified('resolved', 'api-gateway'),
      6 * 60_000,
      1000,
    );
    log(
      `HighErrorRatio resolved at the webhook ${((resolved.receivedAt - burstEnded) / 1000).toFixed(0)} s after the errors stopped`,
    );
  });
});
