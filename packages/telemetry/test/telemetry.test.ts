import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  attributesOf,
  getTarget,
  startOtlpReceiver,
  type OtlpReceiver,
} from '@ai-teams/test-utils';
import { startService, type Service } from './process';

const SERVER = 2; // OTLP JSON SpanKind
const CLIENT = 3;

/** The attributes of every pushed data point of the metric `name`. */
function pointsOf(receiver: OtlpReceiver, name: string): Record<string, unknown>[] {
  return receiver.requests
    .filter((r) => r.path === '/v1/metrics')
    .flatMap((r) => r.body.resourceMetrics as any[])
    .flatMap((rm) => rm.scopeMetrics.flatMap((sm: any) => sm.metrics))
    .filter((m) => m.name === name)
    .flatMap((m) => m.sum.dataPoints.map((p: any) => attributesOf(p.attributes)));
}

const TRACES = '/v1/traces';

/** A service's environment with a small span queue (16, batches of 8) exporting to `url`. */
function smallSpanQueue(url: string): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: url,
    OTEL_BSP_SCHEDULE_DELAY: '20',
    OTEL_BSP_MAX_QUEUE_SIZE: '16',
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '8',
  };
}

describe('setupTelemetry() through the register entry', () => {
  let receiver: OtlpReceiver;
  const running: Service[] = [];
  const env = () => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    ENVIRONMENT: 'test',
    PROJECT: 'proj-x',
    OTEL_METRICS_EXPORTER: 'prometheus',
  });
  async function service(
    fixture = 'service.cjs',
    extra: Record<string, string> = {},
    execArgv?: string[],
  ) {
    const s = await startService(fixture, { ...env(), ...extra }, execArgv);
    running.push(s);
    return s;
  }

  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    for (const s of running.splice(0)) s.stop();
    await receiver.close();
  });

  it('exports the server span with the route and the resource attributes (CommonJS, --require)', async () => {
    const s = await service();
    const res = await fetch(`${s.url}/hello/ann`);
    assert.equal(res.status, 200);
    assert.equal((await fetch(`${s.url}/health`)).status, 200);
    assert.equal((await fetch(`${s.url}/health?probe=1`)).status, 200);
    // The absolute form a client may send is the same path.
    assert.equal(await getTarget(s.url, 'http://127.0.0.1/health?probe=1'), 200);
    await s.shutdown();
    const spans = receiver.spans();
    const server = spans.filter(({ span }) => span.kind === SERVER);
    assert.equal(
      server.length,
      1,
      'one server span: /health (with or without a query, in either form) is not traced',
    );
    const [{ resource, span }] = server as [(typeof server)[number]];
    assert.equal(span.name, 'GET /hello/:name');
    assert.deepEqual(
      {
        service: resource['service.name'],
        env: resource['deployment.environment.name'],
        legacyEnv: resource['deployment.environment'],
        project: resource.project,
      },
      { service: 'fixture-service', env: 'test', legacyEnv: 'test', project: 'proj-x' },
    );
    // "request handler", or "request handler - /hello/:name" on router < 2.3 (Express 5's
    // router ^2.2.0 admits 2.2; it kept the matched path on the layer, which the name reads).
    const handler = spans.find(({ span: sp }) => sp.name.startsWith('request handler'));
    assert.ok(handler, 'the express instrumentation made the route handler span');
    assert.equal(attributesOf(handler.span.attributes)['http.route'], '/hello/:name');
    assert.equal(handler.span.parentSpanId, span.spanId);
  });

  it('serves Prometheus metrics with environment, project and service labels', async () => {
    const s = await service();
    await fetch(`${s.url}/hello/m`);
    const text = await (await fetch(`${s.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('request_count_total{'));
    assert.ok(line, text.slice(0, 500));
    assert.match(line, /endpoint="\/hello\/:name"/);
    assert.match(line, /environment="test"/);
    assert.match(line, /project="proj-x"/);
    assert.match(line, /service="fixture-service"/);
  });

  it('pushes metrics over OTLP when OTEL_METRICS_EXPORTER=otlp, and 404s /metrics', async () => {
    const s = await service('service.cjs', { OTEL_METRICS_EXPORTER: 'otlp' });
    await fetch(`${s.url}/hello/m`);
    assert.equal((await fetch(`${s.url}/metrics`)).status, 404);
    await s.shutdown();
    const pushed = receiver.requests.filter((r) => r.path === '/v1/metrics');
    assert.ok(pushed.length >= 1, 'shutdown flushed the metrics');
    const names = JSON.stringify(pushed.map((r) => r.body));
    assert.match(names, /"name":"request_count"/);
    // `service` on each data point: the collector's remote write drops resource attributes.
    const points = pointsOf(receiver, 'request_count');
    assert.ok(points.length > 0);
    for (const p of points) assert.equal(p.service, 'fixture-service');
    assert.match(names, /"key":"project","value":\{"stringValue":"proj-x"\}/);
  });

  it('pushes at the interval OTEL_METRIC_EXPORT_INTERVAL gives, without waiting for shutdown', async () => {
    const s = await service('service.cjs', {
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_METRIC_EXPORT_INTERVAL: '200',
      OTEL_METRIC_EXPORT_TIMEOUT: '60000', // longer than the interval: cut to it, not an error
    });
    await fetch(`${s.url}/hello/interval`);
    // The default interval is 15 s: a push within 5 s comes from the variable.
    await receiver.waitFor((requests) => requests.some((r) => r.path === '/v1/metrics'), 5_000);
    await s.shutdown();
  });

  it('gives pushed metrics the resource of the spans: version, both environment keys, one service.instance.id per process', async () => {
    const a = await service('service.cjs', { OTEL_METRICS_EXPORTER: 'otlp' });
    const b = await service('service.cjs', { OTEL_METRICS_EXPORTER: 'otlp' });
    await fetch(`${a.url}/hello/a`);
    await fetch(`${b.url}/hello/b`);
    await a.shutdown();
    await b.shutdown();
    const metricIds = receiver.requests
      .filter((r) => r.path === '/v1/metrics')
      .flatMap((r) => r.body.resourceMetrics as { resource: { attributes: unknown } }[])
      .map((rm) => attributesOf(rm.resource.attributes)['service.instance.id']);
    const spanIds = receiver
      .spans()
      .filter(({ span }) => span.kind === SERVER)
      .map(({ resource }) => resource['service.instance.id']);
    assert.equal(new Set(metricIds).size, 2, `two replicas, two instances: ${metricIds}`);
    assert.deepEqual(new Set(spanIds), new Set(metricIds));
    for (const id of metricIds) assert.match(String(id), /^[0-9a-f-]{36}$/);
    const [metricResource] = receiver.requests
      .filter((r) => r.path === '/v1/metrics')
      .flatMap((r) => r.body.resourceMetrics as { resource: { attributes: unknown } }[])
      .map((rm) => attributesOf(rm.resource.attributes));
    const [spanResource] = receiver
      .spans()
      .filter(({ span }) => span.kind === SERVER)
      .map(({ resource }) => resource);
    for (const key of [
      'service.name',
      'service.version',
      'deployment.environment.name',
      'deployment.environment',
      'project',
    ]) {
      assert.notEqual(spanResource![key], undefined, key);
      assert.equal(metricResource![key], spanResource![key], key);
    }
  });

  it('gives each node:cluster worker its own service.instance.id when OTEL_RESOURCE_ATTRIBUTES sets one', async () => {
    // The workers inherit the primary's environment: with the id as it is, the collector made one
    // series of both workers' counters (each push overwriting the other's).
    const s = await service('cluster.cjs', {
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=task-1',
    });
    s.stop();
    const metricIds = receiver.requests
      .filter((r) => r.path === '/v1/metrics')
      .flatMap((r) => r.body.resourceMetrics as { resource: { attributes: unknown } }[])
      .map((rm) => attributesOf(rm.resource.attributes)['service.instance.id']);
    const spanIds = receiver.spans().map(({ resource }) => resource['service.instance.id']);
    assert.deepEqual(metricIds.sort(), ['task-1-1', 'task-1-2']);
    assert.deepEqual(spanIds.sort(), ['task-1-1', 'task-1-2'], 'the spans carry the same ids');
  });

  it("adds pm2's NODE_APP_INSTANCE to an OTEL_RESOURCE_ATTRIBUTES id, in its cluster and fork modes", async () => {
    const clustered = await service('cluster.cjs', {
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=task-1',
      FIXTURE_PM2: '1',
    });
    clustered.stop();
    const forked = await service('service.cjs', {
      OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=task-1',
      NODE_APP_INSTANCE: '3',
    });
    await fetch(`${forked.url}/hello/pm2`);
    await forked.shutdown();
    const spanIds = receiver.spans().map(({ resource }) => resource['service.instance.id']);
    // pm2's index, not the worker id (which grows with every restart of a worker).
    assert.deepEqual([...new Set(spanIds)].sort(), ['task-1-0', 'task-1-1', 'task-1-3']);
  });

  it('runs the resource detectors for an empty OTEL_NODE_RESOURCE_DETECTORS, as sdk-node does', async () => {
    const s = await service('service.cjs', {
      OTEL_NODE_RESOURCE_DETECTORS: '',
      OTEL_RESOURCE_ATTRIBUTES: 'custom.attr=1',
    });
    await fetch(`${s.url}/hello/detect`);
    await s.shutdown();
    const [server] = receiver.spans().filter(({ span }) => span.kind === SERVER);
    assert.equal(server!.resource['custom.attr'], '1', 'the env detector ran');
    assert.equal(typeof server!.resource['host.name'], 'string', 'the host detector ran');
  });

  it('keeps propagating the trace with span export off (OTEL_TRACES_EXPORTER=none)', async () => {
    const downstream = await service();
    const upstream = await service('service.cjs', {
      DOWNSTREAM_URL: downstream.url,
      OTEL_TRACES_EXPORTER: 'none',
    });
    assert.equal((await fetch(`${upstream.url}/call`)).status, 200);
    await upstream.shutdown();
    await downstream.shutdown();
    const servers = receiver.spans().filter(({ span }) => span.kind === SERVER);
    assert.equal(servers.length, 1, 'only the downstream service exports');
    assert.match(
      String(servers[0]!.span.parentSpanId),
      /^[0-9a-f]{16}$/,
      'its server span continues the traceparent the upstream sent',
    );
  });

  it('bounds span and event attribute values at 16 384 characters, or as OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT says', async () => {
    const longest = () => {
      const values = receiver
        .spans()
        .flatMap(({ span }) => [
          ...Object.values(attributesOf(span.attributes)),
          ...((span.events ?? []) as { attributes?: unknown }[]).flatMap((e) =>
            Object.values(attributesOf(e.attributes)),
          ),
        ]);
      return Math.max(...values.map((v) => String(v).length));
    };
    const s = await service();
    assert.equal((await fetch(`${s.url}/huge-error`)).status, 500);
    await s.shutdown();
    assert.equal(longest(), 16_384, 'the exception event of the layer span, cut');
    receiver.requests.splice(0);
    const limited = await service('service.cjs', { OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '1000' });
    assert.equal((await fetch(`${limited.url}/huge-error`)).status, 500);
    await limited.shutdown();
    assert.equal(longest(), 1000);
  });

  it('hands what a route throws on to the error handler when the express instrumentation cannot make it a string or read it', async () => {
    const s = await service();
    const answers: string[] = [];
    for (const kind of ['body', 'getter']) {
      for (const how of ['sync', 'async', 'callback']) {
        const res = await fetch(`${s.url}/unreadable/${kind}/${how}`);
        const { message } = (await res.json()) as { message: string };
        answers.push(`${kind}/${how} ${res.status} ${message}`);
      }
    }
    assert.deepEqual(answers, [
      'body/sync 429 quota exceeded',
      'body/async 429 quota exceeded',
      'body/callback 429 quota exceeded',
      'getter/sync 503 unavailable',
      'getter/async 503 unavailable',
      'getter/callback 503 unavailable',
    ]);
    assert.equal((await fetch(`${s.url}/health`)).status, 200, 'the process is still up');
    await s.shutdown();
    assert.doesNotMatch(s.stderr(), /TypeError|name getter|Unhandled/);
    const exceptions = receiver
      .spans()
      .flatMap(({ span }) => (span.events ?? []) as { name: string; attributes?: unknown }[])
      .filter((e) => e.name === 'exception')
      .map((e) => attributesOf(e.attributes)['exception.message']);
    assert.deepEqual(
      exceptions.sort(),
      [...Array(3).fill('quota exceeded'), ...Array(3).fill('unavailable')],
      "each on its handler's span, by its message",
    );
  });

  it('puts request.size and response.size on the server span', async () => {
    const s = await service();
    const body = JSON.stringify({ sizes: 'x'.repeat(40) });
    await fetch(`${s.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await s.shutdown();
    const server = receiver.spans().find(({ span }) => span.kind === SERVER)!;
    const attributes = attributesOf(server.span.attributes);
    assert.equal(Number(attributes['request.size']), body.length);
    assert.equal(Number(attributes['response.size']), body.length);
  });

  it('reads 499 on the server span of a request its client gave up on, and response.size 0 for HEAD', async () => {
    const s = await service();
    const reached = new Promise((resolve) => s.child.once('message', resolve));
    const req = http.get(`${s.url}/hang`);
    req.on('error', () => {});
    await reached;
    req.destroy(); // the client gives up: nothing was ever answered
    const head = await fetch(`${s.url}/hello/ann`, { method: 'HEAD' });
    assert.ok(Number(head.headers.get('content-length')) > 0, 'HEAD announces the GET body');
    await s.shutdown();
    const server = receiver
      .spans()
      .map(({ span }) => span)
      .filter((span) => span.kind === SERVER);
    const hang = server.find((sp) => sp.name === 'GET /hang')!;
    assert.equal(
      Number(attributesOf(hang.attributes)['http.response.status_code']),
      499,
      'not the default 200',
    );
    assert.notEqual(hang.status?.code, 2, 'the client gave up: no server error');
    const headSpan = server.find((sp) => sp.name === 'HEAD /hello/:name')!;
    assert.equal(
      Number(attributesOf(headSpan.attributes)['response.size']),
      0,
      'Node sent no body',
    );
  });

  it('reads the final status on the server span of a response nothing of which went out, and ERROR for one cut after its headers', async () => {
    const s = await service();
    const told = (what: string, value: 'reached' | 'closed') =>
      new Promise<void>((resolve) => {
        const on = (m: Record<string, unknown>) => {
          if (m?.[what] !== value) return;
          s.child.off('message', on);
          resolve();
        };
        s.child.on('message', on);
      });
    // /queued is answered at once, pipelined behind /hang: its answer never leaves the queue.
    const { hostname, port } = new URL(s.url);
    const queued = told('queued', 'reached');
    const queuedClosed = told('queued', 'closed');
    const socket = net.connect(Number(port), hostname, () =>
      socket.write('GET /hang HTTP/1.1\r\nHost: a\r\n\r\nGET /queued HTTP/1.1\r\nHost: a\r\n\r\n'),
    );
    socket.on('error', () => {});
    await queued;
    socket.destroy();
    await queuedClosed;
    // writeHead() made the headers, nothing wrote them.
    const headMade = told('headMade', 'reached');
    const headMadeClosed = told('headMade', 'closed');
    const req = http.get(`${s.url}/head-made`);
    req.on('error', () => {});
    await headMade;
    req.destroy();
    await headMadeClosed;
    await new Promise<void>((resolve) => {
      http
        .get(`${s.url}/cut-stream`, (res) => {
          res.resume();
          res.once('error', () => resolve());
          res.once('close', () => resolve());
        })
        .once('error', () => resolve());
    });
    await s.shutdown();
    const server = receiver
      .spans()
      .map(({ span }) => span)
      .filter((span) => span.kind === SERVER);
    const named = (name: string) => {
      const span = server.find((sp) => sp.name === name);
      assert.ok(span, `a span ${name}`);
      return { span, attributes: attributesOf(span.attributes) };
    };
    const sent = named('GET /queued');
    assert.equal(
      Number(sent.attributes['http.response.status_code']),
      499,
      'its 200 never went out',
    );
    const made = named('GET /head-made');
    assert.equal(
      Number(made.attributes['http.response.status_code']),
      499,
      'its 201 was never written',
    );
    const cut = named('GET /cut-stream');
    assert.equal(Number(cut.attributes['http.response.status_code']), 200, 'the status it sent');
    assert.equal(cut.span.status?.code, 2, 'the server cut it: ERROR, as its access line says');
    assert.equal(cut.attributes['error.type'], 'UpstreamError');
  });

  it('propagates the trace through fetch to the next service automatically', async () => {
    const downstream = await service();
    const upstream = await service('service.cjs', { DOWNSTREAM_URL: downstream.url });
    const res = await fetch(`${upstream.url}/call`);
    assert.deepEqual(await res.json(), { status: 200, body: { hello: 'downstream' } });
    await upstream.shutdown();
    await downstream.shutdown();
    const spans = receiver.spans().map(({ span }) => span);
    const servers = spans.filter((sp) => sp.kind === SERVER);
    assert.equal(servers.length, 2);
    assert.equal(servers[0]!.traceId, servers[1]!.traceId, 'one trace across both services');
    const client = spans.find((sp) => sp.kind === CLIENT);
    assert.ok(client, 'fetch made a client span');
    const leaf = servers.find((sp) => sp.name === 'GET /hello/:name')!;
    assert.equal(
      leaf.parentSpanId,
      client.spanId,
      'the downstream server span is a child of the fetch span',
    );
  });

  describe('trust of the incoming trace context', () => {
    const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
    const caller = {
      traceparent: `00-${CALLER_TRACE}-00f067aa0ba902b7-01`,
      tracestate: 'partner=1',
      baggage: 'user.role=admin',
    };
    const serverSpans = () =>
      receiver
        .spans()
        .filter(({ span }) => span.kind === SERVER)
        .map(({ span }) => span);

    it("continues a caller's trace and baggage by default", async () => {
      const downstream = await service();
      const upstream = await service('service.cjs', { DOWNSTREAM_URL: downstream.url });
      const res = await fetch(`${upstream.url}/call?path=/headers`, { headers: caller });
      const { body } = (await res.json()) as { body: Record<string, string> };
      assert.equal(body.traceparent!.split('-')[1], CALLER_TRACE);
      assert.equal(body.baggage, 'user.role=admin');
      await upstream.shutdown();
      await downstream.shutdown();
      assert.deepEqual(
        serverSpans().map((span) => span.traceId),
        [CALLER_TRACE, CALLER_TRACE],
      );
    });

    it('AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT=false: a trace of its own, no baggage, the headers taken off; the next service still continues it', async () => {
      const downstream = await service();
      const upstream = await service('service.cjs', {
        DOWNSTREAM_URL: downstream.url,
        AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT: 'false',
      });
      const res = await fetch(`${upstream.url}/call?path=/headers`, { headers: caller });
      const { body } = (await res.json()) as { body: Record<string, string> };
      const own = await fetch(`${upstream.url}/headers`, { headers: caller });
      const seen = (await own.json()) as Record<string, string>;
      assert.deepEqual(
        [seen.traceparent, seen.tracestate, seen.baggage],
        [undefined, undefined, undefined],
        'the app does not see them',
      );
      assert.equal(body.baggage, undefined, 'no baggage reaches the next service');
      assert.equal(body.tracestate, undefined);
      const sent = body.traceparent!.split('-')[1];
      await upstream.shutdown();
      await downstream.shutdown();
      const spans = serverSpans();
      const gateway = spans.find((span) => span.name === 'GET /call')!;
      assert.notEqual(gateway.traceId, CALLER_TRACE);
      assert.equal(gateway.parentSpanId ?? '', '', 'the server span is a root');
      assert.deepEqual(
        (gateway.links ?? []).map((link: { traceId: string; spanId: string }) => [
          link.traceId,
          link.spanId,
        ]),
        [[CALLER_TRACE, '00f067aa0ba902b7']],
        "linked to the caller's span",
      );
      assert.equal(sent, gateway.traceId, 'the next service gets the trace of this one');
      const next = spans.find((span) => span.name === 'GET /headers' && span.traceId === sent);
      assert.ok(next, 'the next service (trusting) continued it');
      assert.equal(spans.length, 3);
    });

    it('AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT as a list of networks: their callers are continued, others are not (the register entry, as an ES module app sets up)', async () => {
      const loopback = await service('service.cjs', {
        AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT: '10.0.0.0/8,127.0.0.0/8',
      });
      const elsewhere = await service('service.cjs', {
        AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT: '10.0.0.0/8,::1',
      });
      for (const s of [loopback, elsewhere]) {
        const seen = await fetch(`${s.url}/headers`, { headers: caller });
        assert.equal(
          ((await seen.json()) as Record<string, string>).baggage !== undefined,
          s === loopback,
        );
      }
      await loopback.shutdown();
      await elsewhere.shutdown();
      const traces = serverSpans().map((span) => span.traceId);
      assert.equal(traces.length, 2);
      assert.equal(
        traces.filter((id) => id === CALLER_TRACE).length,
        1,
        'only the trusted one continued',
      );
    });

    it('a function decides per request; one that throws means not trusted, with one warning', async () => {
      const s = await service(
        'service.cjs',
        { SETUP_IN_CODE: '1', TRUST_CONTEXT_WITH_HEADER: 'x-internal' },
        [],
      );
      for (const internal of ['yes', 'no', 'throw', 'throw']) {
        await fetch(`${s.url}/hello/${internal}`, {
          headers: { ...caller, 'x-internal': internal },
        });
      }
      await s.shutdown();
      const ids = serverSpans().map((span) => span.traceId);
      assert.equal(ids[0], CALLER_TRACE, 'trusted: continued');
      assert.equal(new Set(ids).size, 4, 'the others: a trace each');
      const warnings = s
        .stderr()
        .split('\n')
        .filter((l) => l.includes('AI_TEAMS_TELEMETRY_TRUST'));
      assert.equal(warnings.length, 1, s.stderr());
      assert.match(warnings[0]!, /trustIncomingTraceContext threw \(cannot tell\)/);
    });

    it("AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT=false: B3's other form is taken off too (B3 reads single and multi headers whichever it injects)", async () => {
      const b3Trace = '80f198ee56343ba864fe8b2a57d3eff7';
      const forms: [string, Record<string, string>][] = [
        // b3 injects (and lists as its fields) the single header only.
        // X-B3-ParentSpanId too, which b3multi lists and no extraction reads.
        [
          'b3',
          {
            'X-B3-TraceId': b3Trace,
            'X-B3-SpanId': 'e457b5a2e4d86bd1',
            'X-B3-Sampled': '1',
            'X-B3-ParentSpanId': '05e3ac9a4f6e3b90',
          },
        ],
        // b3multi the multi headers only.
        ['b3multi', { b3: `${b3Trace}-e457b5a2e4d86bd1-1` }],
      ];
      for (const [propagators, headers] of forms) {
        const s = await service('service.cjs', {
          OTEL_PROPAGATORS: propagators,
          AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT: 'false',
        });
        const seen = (await (await fetch(`${s.url}/headers`, { headers })).json()) as object;
        assert.deepEqual(
          Object.keys(seen).filter((name) => name.includes('b3')),
          [],
          `${propagators}: the app does not see them`,
        );
        await s.shutdown();
      }
      const servers = serverSpans();
      assert.equal(servers.length, 2);
      for (const span of servers) {
        assert.notEqual(span.traceId, b3Trace, 'not continued');
        assert.equal(span.parentSpanId ?? '', '', 'a root span');
        assert.equal(span.links?.[0]?.traceId, b3Trace, "linked to the caller's span");
      }
    });

    it("AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT=false: no tracking id is the caller's, on an ignored path or with OTEL_SDK_DISABLED=true", async () => {
      const headers = { traceparent: caller.traceparent };
      const trust = { AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT: 'false', TRACKING_ID: '1' };
      const s = await service('service.cjs', trust);
      // No span, no extraction: tracking-id would read traceparent itself.
      const health = await fetch(`${s.url}/health`, { headers });
      assert.equal(health.status, 200);
      assert.match(health.headers.get('x-tracking-id') ?? '', /^[0-9a-f]{32}$/);
      assert.notEqual(health.headers.get('x-tracking-id'), CALLER_TRACE, '/health (ignorePaths)');
      const disabled = await service('service.cjs', { ...trust, OTEL_SDK_DISABLED: 'true' });
      const hello = await fetch(`${disabled.url}/headers`, { headers });
      assert.match(hello.headers.get('x-tracking-id') ?? '', /^[0-9a-f]{32}$/);
      assert.notEqual(hello.headers.get('x-tracking-id'), CALLER_TRACE, 'OTEL_SDK_DISABLED=true');
      const seen = (await hello.json()) as Record<string, string>;
      assert.equal(seen.traceparent, undefined, 'the app does not see it');
      await s.shutdown();
      await disabled.shutdown();
    });

    it('AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT=false: req.rawHeaders and req.headersDistinct agree with req.headers', async () => {
      const s = await service('service.cjs', { AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT: 'false' });
      const seen = (await (await fetch(`${s.url}/raw-headers`, { headers: caller })).json()) as {
        raw: string[];
        distinct: string[];
      };
      const names = /^(traceparent|tracestate|baggage)$/i;
      assert.deepEqual(
        seen.raw.filter((name) => names.test(name)),
        [],
      );
      assert.deepEqual(
        seen.distinct.filter((name) => names.test(name)),
        [],
      );
      assert.ok(seen.distinct.includes('host'), 'the other headers stay');
      assert.ok(seen.raw.some((name) => name.toLowerCase() === 'host'));
      await s.shutdown();
    });
  });

  it('sends winston records over OTLP with the trace context of the request', async () => {
    const s = await service();
    await fetch(`${s.url}/hello/bo`);
    await s.shutdown();
    const records = receiver.logRecords();
    const line = records.find(({ record }) => record.body?.stringValue === 'said hello');
    assert.ok(line, `log record received (got ${records.length})`);
    const server = receiver.spans().find(({ span }) => span.kind === SERVER)!;
    assert.equal(line.record.traceId, server.span.traceId);
    assert.equal(line.resource['service.name'], 'fixture-service');
  });

  it('sizes the log batches from the standard OTEL_BLRP_* variables', async () => {
    // Batches of two, and a ten-minute delay: records arrive before shutdown only if the
    // batch size was read (the SDK's default batch is 512).
    const s = await service('service.cjs', {
      OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '2',
      OTEL_BLRP_SCHEDULE_DELAY: '600000',
    });
    for (const name of ['b1', 'b2', 'b3']) await fetch(`${s.url}/hello/${name}`);
    await receiver.waitFor((requests) => requests.some((r) => r.path === '/v1/logs'));
    const early = receiver.logRecords().map(({ record }) => attributesOf(record.attributes).name);
    assert.deepEqual(early, ['b1', 'b2'], 'one full batch of two, the third record still held');
    await s.shutdown();
    const all = receiver.logRecords().map(({ record }) => attributesOf(record.attributes).name);
    assert.deepEqual(all, ['b1', 'b2', 'b3']);
  });

  it('reports the log records dropped at a full queue on the diagnostic line, once for a burst', async () => {
    // A collector that takes two seconds per log export, a queue of two records in batches of
    // two: the first batch goes out, two records wait, the other six are dropped. sdk-logs only
    // counts such drops on its self-observability meter.
    const slow = await startOtlpReceiver((r) =>
      r.path === '/v1/logs' ? { status: 200, delayMs: 2_000 } : { status: 200 },
    );
    try {
      const s = await service('service.cjs', {
        OTEL_EXPORTER_OTLP_ENDPOINT: slow.url,
        OTEL_BLRP_MAX_QUEUE_SIZE: '2',
        OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '2',
      });
      for (let i = 0; i < 10; i++) {
        assert.equal((await fetch(`${s.url}/hello/d${i}`)).status, 200);
      }
      await s.shutdown();
      const drops = s.stderr().match(/^\[telemetry\] warn: Dropped .*$/gm);
      assert.deepEqual(drops, [
        '[telemetry] warn: Dropped 6 log records because maxQueueSize reached ' +
          '(OTEL_BLRP_MAX_QUEUE_SIZE): their OTLP copies are lost, stdout has the lines',
      ]);
      const names = slow.logRecords().map(({ record }) => attributesOf(record.attributes).name);
      assert.deepEqual(names, ['d0', 'd1', 'd2', 'd3']);
    } finally {
      await slow.close();
    }
  });

  it('warns about a batch size that is not a positive number, and keeps the default', async () => {
    const s = await service('service.cjs', { OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '0' });
    await fetch(`${s.url}/hello/zero`);
    await s.shutdown();
    assert.match(s.stderr(), /OTEL_BLRP_MAX_EXPORT_BATCH_SIZE=0 is not a positive number/);
    const names = receiver.logRecords().map(({ record }) => attributesOf(record.attributes).name);
    assert.deepEqual(names, ['zero']);
  });

  it('warns once, naming the signals and the fix, when OTLP is set to grpc', async () => {
    const s = await service('service.cjs', {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf', // the signal's own variable wins
      OTEL_METRICS_EXPORTER: 'otlp',
    });
    await fetch(`${s.url}/hello/grpc`);
    await s.shutdown();
    const warnings = s.stderr().match(/AI_TEAMS_TELEMETRY_PROTOCOL/g) ?? [];
    assert.equal(warnings.length, 1, s.stderr());
    assert.match(s.stderr(), /grpc is set for traces, metrics, but .* OTLP\/HTTP only/);
    // Export goes on over HTTP.
    assert.ok(receiver.spans().length > 0);
  });

  it('warns about a value that is not a number at all, without using up the diagnostic line', async () => {
    const s = await service('service.cjs', { OTEL_BLRP_MAX_QUEUE_SIZE: 'abc' });
    await fetch(`${s.url}/hello/abc`);
    await s.shutdown();
    assert.match(s.stderr(), /OTEL_BLRP_MAX_QUEUE_SIZE=abc is not a positive number/);
    assert.doesNotMatch(s.stderr(), /\[telemetry\]/);
  });

  it('keeps the diagnostic line limited under OTEL_LOG_LEVEL=error, without an override warning', async () => {
    const s = await service('service.cjs', {
      OTEL_LOG_LEVEL: 'error',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    for (let batch = 0; batch < 5; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => fetch(`${s.url}/hello/${batch}-${i}`)),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Shutdown flushes: the failed exports are reported by then.
    await s.shutdown();
    const stderr = s.stderr();
    assert.doesNotMatch(stderr, /will be overwritten/);
    const lines = stderr.split('\n').filter((l) => l.includes('ECONNREFUSED'));
    assert.ok(lines.length <= 2, `export failures printed ${lines.length} times:\n${stderr}`);
  });

  it('keeps serving with OTEL_BSP_MAX_EXPORT_BATCH_SIZE=0: one diagnostic line, the default batch', async () => {
    // A batch processor given a batch size of 0 never returns from a span's end; sdk-node
    // replaces the 0 with its default and says so, through the rate-limited diag line.
    const s = await service('service.cjs', { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '0' });
    const res = await fetch(`${s.url}/hello/zero-batch`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(res.status, 200);
    await s.shutdown();
    assert.match(s.stderr(), /\[telemetry\] warn: OTEL_BSP_MAX_EXPORT_BATCH_SIZE \(0\) is invalid/);
    assert.equal(receiver.spans().filter(({ span }) => span.kind === SERVER).length, 1);
  });

  it('prints every configuration warning of the set-up, without using up the line of the first export failure', async () => {
    const s = await service('service.cjs', {
      OTEL_BSP_MAX_QUEUE_SIZE: 'abc',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '0',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', // nothing listens on the discard port
    });
    await fetch(`${s.url}/hello/config`);
    // Sent (and failed) on the processor's timer, not by the shutdown, whose flush is not logged.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await s.shutdown();
    const stderr = s.stderr();
    assert.match(stderr, /\[telemetry\] warn: Unknown value 'abc' for OTEL_BSP_MAX_QUEUE_SIZE/);
    assert.match(stderr, /\[telemetry\] warn: OTEL_BSP_MAX_EXPORT_BATCH_SIZE \(0\) is invalid/);
    assert.match(stderr, /\[telemetry\] error: .*ECONNREFUSED/);
  });

  it('sends the access line of requestLogger() over OTLP once, in the trace of its request', async () => {
    const s = await service('service.cjs', { ACCESS_LOG: '1' });
    await fetch(`${s.url}/hello/acc`);
    await s.shutdown();
    const server = receiver.spans().find(({ span }) => span.kind === SERVER)!;
    const access = receiver
      .logRecords()
      .filter(({ record }) => record.body?.stringValue === 'GET /hello/acc - 200');
    assert.equal(access.length, 1, 'one OTLP record for the access line');
    const [{ record }] = access as [(typeof access)[number]];
    assert.equal(record.traceId, server.span.traceId);
    assert.equal(record.severityText, 'info');
    const attributes = attributesOf(record.attributes);
    assert.equal(attributes.tracking_id, server.span.traceId);
    const line = s
      .stdout()
      .split('\n')
      .find((l) => l.includes('GET /hello/acc - 200'));
    assert.ok(line, 'the same access line on stdout');
    const json = JSON.parse(line) as Record<string, unknown>;
    assert.equal(json.tracking_id, server.span.traceId);
    assert.equal(
      Number(BigInt(record.timeUnixNano as string) / 1_000_000n),
      Date.parse(String(json['@timestamp'])),
      'the OTLP record has the time of the line',
    );
  });

  it('exports an access line logged in the turn shutdown() is called in', async () => {
    const s = await service('service.cjs', { ACCESS_LOG: '1' });
    assert.equal(await (await fetch(`${s.url}/last`)).text(), 'bye');
    await s.shutdown(); // the same shutdown, already under way: resolves when it is done
    const bodies = receiver.logRecords().map(({ record }) => record.body?.stringValue);
    assert.deepEqual(
      bodies.filter((b) => b === 'GET /last - 200'),
      ['GET /last - 200'],
    );
  });

  describe('standard variables read through the SDK', () => {
    it('OTEL_TRACES_SAMPLER=always_off: no spans, the service still answers', async () => {
      const s = await service('service.cjs', { OTEL_TRACES_SAMPLER: 'always_off' });
      assert.equal((await fetch(`${s.url}/hello/off`)).status, 200);
      await s.shutdown();
      assert.deepEqual(receiver.spans(), []);
    });

    it('OTEL_TRACES_SAMPLER=parentbased_always_off with a sampled parent: the parent decides', async () => {
      const s = await service('service.cjs', { OTEL_TRACES_SAMPLER: 'parentbased_always_off' });
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      await fetch(`${s.url}/hello/parent`, {
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      });
      await fetch(`${s.url}/hello/root`); // no parent: always_off
      await s.shutdown();
      const server = receiver.spans().filter(({ span }) => span.kind === SERVER);
      assert.deepEqual(
        server.map(({ span }) => span.traceId),
        [traceId],
      );
    });

    it('OTEL_PROPAGATORS=b3: a B3 header is continued, traceparent is not read', async () => {
      const s = await service('service.cjs', { OTEL_PROPAGATORS: 'b3' });
      const b3Trace = '80f198ee56343ba864fe8b2a57d3eff7';
      await fetch(`${s.url}/hello/b3`, { headers: { b3: `${b3Trace}-e457b5a2e4d86bd1-1` } });
      await fetch(`${s.url}/hello/w3c`, {
        headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      });
      await s.shutdown();
      const ids = receiver
        .spans()
        .filter(({ span }) => span.kind === SERVER)
        .map(({ span }) => span.traceId);
      assert.equal(ids.length, 2);
      assert.equal(ids[0], b3Trace);
      assert.notEqual(ids[1], '4bf92f3577b34da6a3ce929d0e0e4736');
    });

    it('OTEL_PROPAGATORS=b3 with AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT=false: the B3 header is not continued and taken off', async () => {
      const s = await service('service.cjs', {
        OTEL_PROPAGATORS: 'b3',
        AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT: 'false',
      });
      const b3Trace = '80f198ee56343ba864fe8b2a57d3eff7';
      const seen = await fetch(`${s.url}/headers`, {
        headers: { b3: `${b3Trace}-e457b5a2e4d86bd1-1` },
      });
      assert.equal(((await seen.json()) as Record<string, string>).b3, undefined);
      await s.shutdown();
      const [server, ...others] = receiver.spans().filter(({ span }) => span.kind === SERVER);
      assert.equal(others.length, 0);
      assert.notEqual(server!.span.traceId, b3Trace);
      assert.equal(server!.span.parentSpanId ?? '', '', 'a root span');
      assert.equal(server!.span.links?.[0]?.traceId, b3Trace, "linked to the caller's B3 span");
    });

    it('OTEL_RESOURCE_ATTRIBUTES: traces and metrics carry the same environment and service', async () => {
      const s = await service('service.cjs', {
        OTEL_RESOURCE_ATTRIBUTES: 'team=payments,service.name=other,deployment.environment.name=x',
      });
      await fetch(`${s.url}/hello/res`);
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      await s.shutdown();
      const [{ resource }] = receiver.spans() as [ReturnType<OtlpReceiver['spans']>[number]];
      assert.deepEqual(
        {
          team: resource.team,
          service: resource['service.name'],
          env: resource['deployment.environment.name'],
        },
        // ENVIRONMENT=test is set too: the resource variable wins, on spans as in the SDK.
        { team: 'payments', service: 'fixture-service', env: 'x' },
      );
      const line = metrics.split('\n').find((l) => l.startsWith('request_count_total{'));
      assert.ok(line, metrics);
      assert.match(line, /environment="x"/);
      assert.match(line, /service="fixture-service"/);
    });

    it('a serviceName option wins over OTEL_SERVICE_NAME on spans and metrics alike', async () => {
      const s = await service(
        'service.cjs',
        { SETUP_IN_CODE: '1', SETUP_SERVICE_NAME: 'from-code' }, // OTEL_SERVICE_NAME=fixture-service
        [],
      );
      await fetch(`${s.url}/hello/named`);
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      await s.shutdown();
      const names = receiver.spans().map(({ resource }) => resource['service.name']);
      assert.ok(names.length > 0);
      assert.deepEqual([...new Set(names)], ['from-code']);
      assert.match(metrics, /request_count_total\{[^}]*service="from-code"/);
      // httpMetrics() without options: its service_name is the set-up's, not the variable's.
      assert.match(metrics, /request_count_total\{service_name="from-code",/);
      assert.doesNotMatch(metrics, /service_name="fixture-service"/);
    });

    it('httpMetrics() labels service_name with the serviceName option in otlp mode too', async () => {
      const s = await service(
        'service.cjs',
        { SETUP_IN_CODE: '1', SETUP_SERVICE_NAME: 'from-code', OTEL_METRICS_EXPORTER: 'otlp' },
        [],
      );
      await fetch(`${s.url}/hello/named`);
      await s.shutdown();
      const points = pointsOf(receiver, 'request_count');
      assert.ok(points.length > 0, 'request_count was pushed');
      assert.deepEqual([...new Set(points.map((p) => p.service_name))], ['from-code']);
    });

    it('OTEL_SDK_DISABLED=true: no signal is exported or served; requests and stdout lines go on', async () => {
      const s = await service('service.cjs', { OTEL_SDK_DISABLED: 'true', ACCESS_LOG: '1' });
      assert.equal((await fetch(`${s.url}/hello/disabled`)).status, 200);
      const metrics = await fetch(`${s.url}/metrics`);
      assert.equal(metrics.status, 404, 'metrics are a signal of the SDK too');
      assert.match(await metrics.text(), /OTEL_SDK_DISABLED/);
      await s.shutdown();
      assert.deepEqual(
        receiver.requests.map((r) => r.path),
        [],
      );
      assert.match(s.stdout(), /GET \/hello\/disabled - 200/, 'the stdout line is still written');
    });
  });

  describe('SIGTERM', () => {
    async function terminate(extra: Record<string, string>) {
      const s = await service('service.cjs', extra);
      await fetch(`${s.url}/hello/term`);
      const exited = new Promise<[number | null, string | null]>((resolve) =>
        s.child.once('exit', (code, signal) => resolve([code, signal])),
      );
      s.child.kill('SIGTERM');
      return exited;
    }
    const served = () => receiver.spans().filter(({ span }) => span.kind === SERVER).length;

    it('AI_TEAMS_TELEMETRY_SIGTERM=true: the spans are flushed, then the signal ends the process', async () => {
      assert.deepEqual(await terminate({ AI_TEAMS_TELEMETRY_SIGTERM: 'true' }), [null, 'SIGTERM']);
      assert.equal(served(), 1);
    });

    it('AI_TEAMS_TELEMETRY_SIGTERM=true: a second SIGTERM during the flush does not cut it short', async () => {
      // A cluster primary that forwards SIGTERM to its workers, and is set up with the option
      // itself, forwards it twice: its own handler re-raises the signal once it has flushed.
      const held = await startOtlpReceiver((r) => ({
        status: 200,
        delayMs: r.path === TRACES ? 3000 : 0,
      }));
      try {
        const s = await service('service.cjs', {
          AI_TEAMS_TELEMETRY_SIGTERM: 'true',
          OTEL_EXPORTER_OTLP_ENDPOINT: held.url,
        });
        await fetch(`${s.url}/hello/twice`);
        const exited = new Promise<[number | null, string | null]>((resolve) =>
          s.child.once('exit', (code, signal) => resolve([code, signal])),
        );
        s.child.kill('SIGTERM');
        await held.waitFor((rs) => rs.some((r) => r.path === TRACES));
        s.child.kill('SIGTERM');
        assert.deepEqual(await exited, [null, 'SIGTERM']);
        const traces = held.requests.filter((r) => r.path === TRACES);
        assert.deepEqual(
          traces.map((r) => r.status),
          [200],
          'the process waited for the span export to be answered',
        );
      } finally {
        await held.close();
      }
    });

    it('without it (the default) the signal ends the process at once, before the batch is sent', async () => {
      assert.deepEqual(await terminate({}), [null, 'SIGTERM']);
      assert.equal(served(), 0);
    });
  });

  for (const [fixture, how] of [
    ['service.mjs', 'by the app'],
    ['service-reexport.mjs', 'through a module of its own that re-exports it'],
    ['service-later.mjs', 'with a dynamic import() after start-up'],
  ] as const) {
    it(`instruments an ES module app, express imported ${how}, with --import`, async () => {
      // The loader hook wraps only the modules on the instrumentations' list, matched by the
      // specifier a module imports: the re-exporting module's, and a late import's, must match.
      const s = await service(fixture, {}, ['--import', '@ai-teams/telemetry/register']);
      await fetch(`${s.url}/hello/esm`);
      await s.shutdown();
      const names = receiver.spans().map(({ span }) => span.name);
      assert.ok(names.includes('GET /hello/:name'), names.join(', '));
      assert.ok(
        names.some((n) => n.startsWith('request handler')),
        `express was patched: ${names.join(', ')}`,
      );
      assert.doesNotMatch(s.stderr(), /AI_TEAMS_TELEMETRY_LATE/);
    });
  }

  for (const [fixture, execArgv, how] of [
    ['service-first.mjs', [], 'sets up in a module it imports first'],
    ['service-dynamic.mjs', [], 'sets up before a dynamic import of the app'],
    ['service-lazy.mjs', [], 'takes a request before it imports express'],
    ['service.mjs', ['--require', '@ai-teams/telemetry/register'], 'is started with --require'],
  ] as const) {
    it(`names the missing loader hook when an ES module app ${how}`, async () => {
      const s = await service(fixture, {}, [...execArgv]);
      await fetch(`${s.url}/hello/esm`);
      await fetch(`${s.url}/hello/again`);
      await s.shutdown();
      const stderr = s.stderr();
      const late = stderr.match(/\[AI_TEAMS_TELEMETRY_LATE\] Warning: [^\n]*/g) ?? [];
      assert.equal(late.length, 1, stderr);
      assert.match(
        late[0]!,
        /Warning: express \(\S+[\\/]node_modules[\\/]express\) is not instrumented, so its requests are traced without a route and without middleware or handler spans: an ES module imported it without the loader hook, which only `node --import @ai-teams\/telemetry\/register app\.js` installs/,
      );
      assert.doesNotMatch(stderr, /loaded before setupTelemetry/);
      // What it says: server spans named by method alone, and no express spans.
      const server = receiver.spans().filter(({ span }) => span.kind === SERVER);
      assert.ok(server.length >= 2, `${server.length} server spans`);
      for (const { span } of receiver.spans()) assert.equal(span.name, 'GET');
    });
  }

  it("keeps the live bindings of the app's own ES modules under --import", async () => {
    // The loader hook wraps only the modules the instrumentations hook: a wrapped module's
    // importers see copies of its exports, so an exported `let` reassigned after the import
    // (a pool made by an async connect()) kept its first value in them.
    const s = await service('service.mjs', {}, ['--import', '@ai-teams/telemetry/register']);
    const state = await (await fetch(`${s.url}/state`)).json();
    await fetch(`${s.url}/hello/esm`);
    await s.shutdown();
    assert.deepEqual(state, { connected: true });
    const names = receiver.spans().map(({ span }) => span.name);
    assert.ok(
      names.some((n) => n.startsWith('request handler')),
      `express still patched: ${names.join(', ')}`,
    );
  });

  it('warns nothing about load order when the register entry set up an ES module app', async () => {
    const s = await service('service.mjs', {}, ['--import', '@ai-teams/telemetry/register']);
    await fetch(`${s.url}/hello/esm`);
    await s.shutdown();
    assert.doesNotMatch(s.stderr(), /AI_TEAMS_TELEMETRY_LATE/);
  });

  for (const [fixture, execArgv] of [
    ['service.mjs', ['--import', '@ai-teams/telemetry/register']],
    ['service.cjs', ['--require', '@ai-teams/telemetry/register']],
  ] as const) {
    it(`prints no Node deprecation or experimental warning under ${execArgv[0]}`, async () => {
      // npm test runs this suite on every Node it supports: Node 26 deprecates module.register()
      // (DEP0205) at run time, which the --import entry calls only where in-thread hooks fail.
      const s = await service(fixture, {}, [...execArgv]);
      await fetch(`${s.url}/hello/warnings`);
      await s.shutdown();
      assert.doesNotMatch(s.stderr(), /DeprecationWarning|ExperimentalWarning|\[DEP\d+\]/);
    });
  }

  it('warns with the fix when express was loaded before set-up', async () => {
    const s = await service('service.cjs', { LOAD_EXPRESS_FIRST: '1', SETUP_IN_CODE: '1' }, []);
    await fetch(`${s.url}/hello/late`);
    await s.shutdown();
    assert.match(
      s.stderr(),
      /\[AI_TEAMS_TELEMETRY_LATE\] Warning: express was loaded before setupTelemetry\(\), so its requests are not traced/,
    );
    assert.match(s.stderr(), /--require @ai-teams\/telemetry\/register/);
    assert.match(s.stderr(), /or, in CommonJS, call setupTelemetry\(\) before requiring express\./);
    assert.equal(s.stderr().match(/AI_TEAMS_TELEMETRY_LATE/g)?.length, 1, 'said once, at set-up');
    assert.doesNotMatch(s.stderr(), /winston was loaded/);
    // What it says: no server span.
    assert.equal(receiver.spans().filter(({ span }) => span.kind === SERVER).length, 0);
  });

  it('warns that winston loaded before set-up sends no logs over OTLP, and to load it after', async () => {
    const s = await service('service.cjs', { LOAD_WINSTON_FIRST: '1', SETUP_IN_CODE: '1' }, []);
    await fetch(`${s.url}/hello/late`); // logs "said hello" on a logger made after set-up
    await s.shutdown();
    const stderr = s.stderr();
    assert.match(
      stderr,
      /\[AI_TEAMS_TELEMETRY_LATE\] Warning: winston was loaded before setupTelemetry\(\), so its instrumentation never applies: no winston logger, not even one created after set-up, gets the OpenTelemetry transport/,
    );
    assert.match(
      stderr,
      /or, in CommonJS, require winston, and @ai-teams\/cloudwatch-logger which loads it, only after setupTelemetry\(\)/,
    );
    assert.doesNotMatch(stderr, /requests are not traced|express was loaded/);
    // What it says: the request is traced, its log record never reaches the collector.
    assert.equal(receiver.spans().filter(({ span }) => span.kind === SERVER).length, 1);
    assert.deepEqual(receiver.logRecords(), []);
  });

  it('keeps the first set-up when called twice: one server span per request', async () => {
    const s = await service('service.cjs', { SETUP_IN_CODE: '1' });
    await fetch(`${s.url}/hello/twice`);
    await s.shutdown();
    assert.match(s.stderr(), /AI_TEAMS_TELEMETRY_TWICE/);
    assert.equal(receiver.spans().filter(({ span }) => span.kind === SERVER).length, 1);
  });

  it('keeps answering with a collector that takes exports and never answers, its heap bounded', async () => {
    // A collector that reads every export and never replies: each export waits for its timeout
    // (10 s, longer than this test) while the requests go on.
    const held: http.ServerResponse[] = [];
    let exports = 0;
    const stalled = http.createServer((req, res) => {
      exports++;
      req.resume();
      held.push(res);
    });
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    const { port } = stalled.address() as AddressInfo;
    try {
      const s = await service(
        'service.cjs',
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
          ACCESS_LOG: '1',
          OTEL_BSP_SCHEDULE_DELAY: '50',
          OTEL_BLRP_SCHEDULE_DELAY: '50',
          OTEL_BSP_MAX_QUEUE_SIZE: '256',
          OTEL_BLRP_MAX_QUEUE_SIZE: '256',
        },
        ['--expose-gc', '--require', '@ai-teams/telemetry/register'],
      );
      const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
      const get = (target: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) =>
          http
            .get(`${s.url}${target}`, { agent }, (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (c: string) => (body += c));
              res.once('end', () => resolve({ status: res.statusCode!, body }));
            })
            .once('error', reject),
        );
      const heap = async () =>
        (JSON.parse((await get('/heap')).body) as { heapUsed: number }).heapUsed;
      const round = async (tag: string) => {
        const statuses = new Map<number, number>();
        for (let batch = 0; batch < 100; batch++) {
          const answers = await Promise.all(
            Array.from({ length: 30 }, (_, i) => get(`/hello/${tag}-${batch}-${i}`)),
          );
          for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        }
        return Object.fromEntries(statuses);
      };
      assert.deepEqual(await round('warm'), { 200: 3000 });
      const before = await heap();
      assert.deepEqual(await round('more'), { 200: 3000 });
      const after = await heap();
      agent.destroy();
      s.stop();
      assert.ok(exports >= 1, 'the service tried to export');
      // 3000 more spans and access records held would be several MB; the queues hold 256 each.
      const grown = (after - before) / 1024 / 1024;
      assert.ok(grown < 2, `heap grew ${grown.toFixed(1)} MB over 3000 requests`);
    } finally {
      for (const res of held) res.destroy();
      stalled.closeAllConnections();
      stalled.close();
    }
  });

  it('keeps the span batches in flight within the queue size while the collector rejects them', async () => {
    // A collector that answers every span export with a failure after a moment. sdk-trace's
    // batch processor starts its next batch without waiting for the one in flight once an
    // export has failed, so without a limit of ours the batches in flight pile up to the
    // exporter's default of 30: 30 batches of spans and their request bodies held at once.
    const rejecting = await startOtlpReceiver((r) =>
      r.path === TRACES ? { status: 400, delayMs: 150 } : { status: 200 },
    );
    try {
      const s = await service('service.cjs', smallSpanQueue(rejecting.url));
      const statuses = new Map<number, number>();
      const started = Date.now();
      while (Date.now() - started < 2_500) {
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) => fetch(`${s.url}/hello/${i}`)),
        );
        for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
      }
      s.stop();
      assert.deepEqual([...statuses.keys()], [200]);
      const exports = rejecting.requests.filter((r) => r.path === TRACES).length;
      assert.ok(exports >= 5, `the service exported ${exports} times`);
      const most = rejecting.mostInFlight(TRACES);
      assert.ok(most <= 3, `${most} span exports were in flight at once`);
    } finally {
      await rejecting.close();
    }
  });

  it('delivers the queue and the span exports in flight at shutdown after an export failed', async () => {
    // The first span exports fail; then the collector takes every export, slowly. After the
    // failure sdk-trace's batch processor starts batches without waiting, so the exports in
    // flight stay at the limit under load; a shutdown then flushes the queue on top of them.
    let failures = 2;
    const slow = await startOtlpReceiver((r) =>
      r.path !== TRACES
        ? { status: 200 }
        : failures-- > 0
          ? { status: 400, delayMs: 100 }
          : { status: 200, delayMs: 500 },
    );
    try {
      const s = await service('service.cjs', smallSpanQueue(slow.url));
      let loading = true;
      const load = (async () => {
        while (loading) {
          await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${s.url}/hello/${i}`)));
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const before = slow.acceptedSpans();
      const exports = () => slow.requests.filter((r) => r.path === TRACES).length;
      const sentBefore = exports();
      await s.shutdown(); // under load: the exports in flight are at the limit
      const openAtEnd = slow.inFlight(TRACES);
      const sentByShutdown = exports() - sentBefore;
      loading = false;
      await load;
      s.stop();
      // Before, the flush's batches failed at once for want of room, and the first of them ended
      // the shutdown while the exports in flight still waited for the collector: the process
      // exits then, and they were lost with the queue.
      assert.equal(openAtEnd, 0, `the shutdown ended with ${openAtEnd} span exports in flight`);
      assert.ok(sentByShutdown >= 1, 'the shutdown sent the queued spans besides those in flight');
      assert.ok(slow.acceptedSpans() > before, 'the shutdown delivered spans');
    } finally {
      await slow.close();
    }
  });

  it('waits at shutdown for the span exports in flight when one of its batches is refused', async () => {
    // Every span export is taken after 800 ms, but the first that comes once the shutdown has
    // begun is refused at once (a collector refusing one batch, 400 or 413). sdk-trace's batch
    // processor ends its shutdown at its flush's first failure, without the exporter's
    // shutdown that waits for the exports still in flight: the process exits, and the spans
    // the collector was about to take are lost.
    let shuttingDown = false;
    let refused = 0;
    const collector = await startOtlpReceiver((r) =>
      r.path !== TRACES
        ? { status: 200 }
        : shuttingDown && refused++ === 0
          ? { status: 400 }
          : { status: 200, delayMs: 800 },
    );
    try {
      const s = await service('service.cjs', {
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_BSP_SCHEDULE_DELAY: '20',
      });
      const started = Date.now();
      while (collector.inFlight(TRACES) === 0 && Date.now() - started < 5_000) {
        await Promise.all(Array.from({ length: 10 }, (_, i) => fetch(`${s.url}/hello/${i}`)));
      }
      // Spans for the shutdown's flush, besides the export in flight.
      await Promise.all(Array.from({ length: 10 }, (_, i) => fetch(`${s.url}/hello/${i}`)));
      const inFlight = collector.inFlight(TRACES);
      shuttingDown = true;
      await s.shutdown();
      const openAtEnd = collector.inFlight(TRACES);
      s.stop();
      assert.ok(inFlight >= 1, 'a span export was in flight at shutdown');
      assert.equal(refused >= 1, true, 'the collector refused a batch of the shutdown');
      assert.equal(openAtEnd, 0, `the shutdown ended with ${openAtEnd} span exports in flight`);
      assert.ok(collector.acceptedSpans() > 0);
    } finally {
      await collector.close();
    }
  });

  it('keeps answering with the collector down, with one rate-limited diagnostic line', async () => {
    const s = await service('service.cjs', {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', // nothing listens on the discard port
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_BSP_MAX_QUEUE_SIZE: '64',
    });
    const statuses: number[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => fetch(`${s.url}/hello/${batch}-${i}`)),
      );
      statuses.push(...answers.map((a) => a.status));
    }
    await s.shutdown();
    assert.equal(statuses.length, 300);
    assert.ok(statuses.every((st) => st === 200));
    const diagLines = s
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('[telemetry]'));
    assert.ok(
      diagLines.length >= 1 && diagLines.length <= 2,
      `diagnostic lines: ${diagLines.length}\n${s.stderr()}`,
    );
  });
});
