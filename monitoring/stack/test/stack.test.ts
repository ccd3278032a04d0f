// Smoke test of the real monitoring stack (npm run test:stack): the built collector, Jaeger v2,
// Prometheus + Alertmanager and the Grafana Cloud stand-ins on loopback, with the repository's
// config files, fed synthetic OTLP/HTTP JSON. The end-to-end test with the example services
// builds on the same harness.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import {
  basic,
  eventually,
  LOKI_USER,
  MIMIR_USER,
  promQuery,
  STANDIN_TOKEN,
  startStack,
  type Stack,
} from '../harness';

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const nowNs = (): string => (BigInt(Date.now()) * 1_000_000n).toString();
const attrs = (o: Record<string, string>) =>
  Object.entries(o).map(([key, v]) => ({ key, value: { stringValue: v } }));

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

function trace(service: string, traceId: string) {
  const start = BigInt(nowNs());
  return {
    resourceSpans: [
      {
        resource: { attributes: attrs({ 'service.name': service }) },
        scopeSpans: [
          {
            scope: { name: 'stack-test' },
            spans: [
              {
                traceId,
                spanId: hex(8),
                name: 'GET /health',
                kind: 2,
                startTimeUnixNano: start.toString(),
                endTimeUnixNano: (start + 5_000_000n).toString(),
              },
            ],
          },
        ],
      },
    ],
  };
}

function counter(service: string, environment: string, value: number) {
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: attrs({ 'service.name': service, environment, service }),
        },
        scopeMetrics: [
          {
            scope: { name: '@ai-teams/otel-metrics' },
            metrics: [
              {
                name: 'request_count',
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: [
                    {
                      asInt: String(value),
                      startTimeUnixNano: String(BigInt(nowNs()) - 60_000_000_000n),
                      timeUnixNano: nowNs(),
                      attributes: attrs({
                        service_name: service,
                        endpoint: '/api/v1/workflows',
                        method: 'POST',
                        status_code: '200',
                        api_version: 'v1',
                      }),
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

function logRecord(service: string, trackingId: string) {
  return {
    resourceLogs: [
      {
        resource: { attributes: attrs({ 'service.name': service }) },
        scopeLogs: [
          {
            scope: { name: 'winston' },
            logRecords: [
              {
                timeUnixNano: nowNs(),
                severityText: 'info',
                body: {
                  stringValue: JSON.stringify({
                    '@message': 'POST /api/v1/workflows - 200',
                    tracking_id: trackingId,
                  }),
                },
                traceId: trackingId,
                spanId: hex(8),
              },
            ],
          },
        ],
      },
    ],
  };
}

describe('the monitoring stack on loopback (built collector, Jaeger v2, Prometheus, stand-ins)', function () {
  // The first run builds the binaries (minutes); Prometheus scrapes every 15 s.
  this.timeout(30 * 60 * 1000);
  let stack: Stack;

  before(async function () {
    this.timeout(30 * 60 * 1000);
    stack = await startStack({ environments: ['dev', 'prod'] });
  });

  after(async () => {
    await stack?.stop();
  });

  it('a trace sent to the collector reaches Jaeger with deployment.environment and project', async () => {
    const traceId = hex(16);
    const res = await post(
      `${stack.collectors.dev!.otlpHttp}/v1/traces`,
      trace('api-gateway', traceId),
    );
    assert.equal(res.status, 200);
    const found = await eventually('the trace in Jaeger', async () => {
      const r = await fetch(`${stack.jaegerUrl}/api/traces/${traceId}`);
      if (!r.ok) return undefined;
      const body = (await r.json()) as {
        data: {
          spans: unknown[];
          processes: Record<
            string,
            { serviceName: string; tags: { key: string; value: string }[] }
          >;
        }[];
      };
      return body.data[0];
    });
    assert.equal(found.spans.length, 1);
    const [process] = Object.values(found.processes);
    assert.equal(process!.serviceName, 'api-gateway');
    const tags = Object.fromEntries(process!.tags.map((t) => [t.key, t.value]));
    assert.equal(tags['deployment.environment'], 'dev');
    assert.equal(tags.project, 'starmates-ai-team');
  });

  it('metrics reach Prometheus through the collector with environment, project and service labels, within 30 s', async () => {
    const started = Date.now();
    assert.equal(
      (await post(`${stack.collectors.dev!.otlpHttp}/v1/metrics`, counter('api-gateway', 'dev', 7)))
        .status,
      200,
    );
    const [series] = await eventually(
      'request_count_total in Prometheus',
      async () => {
        const r = await promQuery(
          stack.prometheusUrl,
          'request_count_total{job="otel-collector", environment="dev"}',
        );
        return r.length > 0 ? r : undefined;
      },
      30_000,
    );
    const delay = Date.now() - started;
    console.log(
      `      metric visible in Prometheus ${(delay / 1000).toFixed(1)} s after the OTLP export`,
    );
    assert.deepEqual(
      [
        series!.metric.environment,
        series!.metric.project,
        series!.metric.service,
        series!.metric.service_name,
      ],
      ['dev', 'starmates-ai-team', 'api-gateway', 'api-gateway'],
    );
    assert.equal(series!.value[1], '7');
  });

  it('dev and prod collectors remote-write to the Mimir stand-in with Basic auth, kept apart by label', async () => {
    assert.equal(
      (
        await post(
          `${stack.collectors.prod!.otlpHttp}/v1/metrics`,
          counter('api-gateway', 'prod', 11),
        )
      ).status,
      200,
    );
    assert.equal(
      (
        await post(
          `${stack.collectors.dev!.otlpHttp}/v1/metrics`,
          counter('workflow-engine', 'dev', 3),
        )
      ).status,
      200,
    );
    const auth = basic(MIMIR_USER, STANDIN_TOKEN);
    // The dev sum is the earlier test's api-gateway series (7) plus this one (3): wait for both
    // series to have arrived, not for any dev series, then compare.
    const expected = [
      ['dev', 'starmates-ai-team', '10'],
      ['prod', 'starmates-ai-team', '11'],
    ];
    const sums = async () =>
      (await promQuery(stack.mimirUrl, 'sum by (environment, project) (request_count_total)', auth))
        .map((s) => [s.metric.environment, s.metric.project, s.value[1]])
        .sort();
    await eventually(
      'dev 10 and prod 11 in the Mimir stand-in',
      async () => (JSON.stringify(await sums()) === JSON.stringify(expected) ? true : undefined),
      60_000,
    ).catch(() => undefined); // the comparison below reports what arrived instead
    assert.deepEqual(await sums(), expected);
    // The stand-in refuses requests without the credentials the collector sent.
    const anonymous = await fetch(`${stack.mimirUrl}/api/v1/query?query=up`);
    assert.equal(anonymous.status, 401);
    const wrong = await fetch(`${stack.mimirUrl}/api/v1/query?query=up`, {
      headers: basic(MIMIR_USER, 'wrong'),
    });
    assert.equal(wrong.status, 401);
  });

  it('logs reach the Loki stand-in with Basic auth, carrying the tracking id and the environment', async () => {
    const trackingId = hex(16);
    assert.equal(
      (
        await post(
          `${stack.collectors.prod!.otlpHttp}/v1/logs`,
          logRecord('workflow-agent', trackingId),
        )
      ).status,
      200,
    );
    const line = await eventually('the log record in the stand-in file', async () => {
      if (!existsSync(stack.lokiFile)) return undefined;
      return readFileSync(stack.lokiFile, 'utf8')
        .split('\n')
        .find((l) => l.includes(trackingId));
    });
    const batch = JSON.parse(line) as {
      resourceLogs: {
        resource: { attributes: { key: string; value: { stringValue: string } }[] };
        scopeLogs: { logRecords: { traceId: string }[] }[];
      }[];
    };
    const resource = Object.fromEntries(
      batch.resourceLogs[0]!.resource.attributes.map((a) => [a.key, a.value.stringValue]),
    );
    assert.equal(resource['deployment.environment'], 'prod');
    assert.equal(batch.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.traceId, trackingId);
    // Without credentials the stand-in refuses the same request.
    const lokiUrl = stack.collectors.prod!.env.GRAFANA_CLOUD_LOKI_OTLP_URL!;
    assert.equal((await post(`${lokiUrl}/v1/logs`, logRecord('x', hex(16)))).status, 401);
    assert.equal(
      (await post(`${lokiUrl}/v1/logs`, logRecord('x', hex(16)), basic(LOKI_USER, STANDIN_TOKEN)))
        .status,
      200,
    );
  });

  it('a restarted collector takes traces again', async () => {
    const dev = stack.collectors.dev!;
    await dev.proc.stop();
    await assert.rejects(post(`${dev.otlpHttp}/v1/traces`, trace('api-gateway', hex(16))));
    await dev.proc.start();
    const traceId = hex(16);
    assert.equal(
      (await post(`${dev.otlpHttp}/v1/traces`, trace('api-gateway', traceId))).status,
      200,
    );
    await eventually('the new trace in Jaeger', async () => {
      const r = await fetch(`${stack.jaegerUrl}/api/traces/${traceId}`);
      return r.ok ? true : undefined;
    });
  });

  it('Prometheus loaded the alert rules and reaches Alertmanager', async () => {
    const rules = (await (await fetch(`${stack.prometheusUrl}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string }[] }[] };
    };
    assert.deepEqual(rules.data.groups.flatMap((g) => g.rules.map((r) => r.name)).sort(), [
      'AICostBurnRate',
      'HighErrorRatio',
      'HighLatencyP95',
      'SeriesBudgetNearFreeTier',
      'ServiceDown',
    ]);
    const am = await eventually('an active Alertmanager in Prometheus', async () => {
      const r = (await (await fetch(`${stack.prometheusUrl}/api/v1/alertmanagers`)).json()) as {
        data: { activeAlertmanagers: { url: string }[] };
      };
      return r.data.activeAlertmanagers.length > 0 ? r.data.activeAlertmanagers : undefined;
    });
    assert.equal(new URL(am[0]!.url).host, new URL(stack.alertmanagerUrl).host);
  });
});
