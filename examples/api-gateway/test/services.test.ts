import assert from 'node:assert/strict';
import { fork, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import request from 'supertest';
import { prometheusMetrics } from '@ai-teams/otel-metrics';
import {
  attributesOf,
  captureLines,
  enableTestTracing,
  getTarget,
  listen,
  startOtlpReceiver,
  type LineCapture,
  type Listening,
  warningsOf,
  type TestTracing,
} from '@ai-teams/test-utils';
import { createApp as createAgent } from '@ai-teams/example-workflow-agent';
import { createApp as createEngine } from '@ai-teams/example-workflow-engine';
import type { Express } from 'express';
import { createService } from '@ai-teams/example-service-kit';
import { createApp as createGateway } from '../src/app';
import { SessionStore } from '../src/sessions';

const SERVER = 1;
const CLIENT = 2;

interface Running {
  app: Express;
  logs: LineCapture;
  metrics: ReturnType<typeof prometheusMetrics>;
}

function service(name: string, create: (o: object) => Express, extra: object = {}): Running {
  const logs = captureLines();
  const metrics = prometheusMetrics({
    serviceName: name,
    environment: 'test',
    project: 'starmates-ai-team',
  });
  const app = create({
    serviceName: name,
    environment: 'test',
    logStream: logs.stream,
    meterProvider: metrics.meterProvider,
    metricsHandler: metrics.handler,
    ...extra,
  });
  return { app, logs, metrics };
}

describe('the three example services together', () => {
  let tracing: TestTracing;
  let agent: Running;
  let engine: Running;
  let gateway: Running;
  let agentServer: Listening;
  let engineServer: Listening;
  let sessions: SessionStore;

  before(async () => {
    tracing = enableTestTracing();
    agent = service('workflow-agent', createAgent);
    engine = service('workflow-engine', createEngine);
    agentServer = await listen(agent.app);
    engineServer = await listen(engine.app);
    sessions = new SessionStore();
    gateway = service('api-gateway', createGateway, {
      agentUrl: agentServer.url,
      engineUrl: engineServer.url,
      sessions,
    });
  });
  after(async () => {
    await agentServer.close();
    await engineServer.close();
    sessions.close();
  });
  beforeEach(() => {
    tracing.reset();
    for (const s of [agent, engine, gateway]) s.logs.clear();
  });

  const allLines = () =>
    [agent, engine, gateway].flatMap((s, i) =>
      s.logs.lines().map((line) => ({
        service: ['workflow-agent', 'workflow-engine', 'api-gateway'][i]!,
        line,
      })),
    );

  it('shares one trace id across all three services: header, body, DB row, spans and logs', async () => {
    const res = await request(gateway.app)
      .post('/api/v1/sessions')
      .send({ user_id: 'u-42', workflow_type: 'report' })
      .expect(201);
    const id = String(res.headers['x-tracking-id']);
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(res.body.tracking_id, id);

    const row = sessions.get(res.body.session_id)!;
    assert.equal(row.tracking_id, id);

    const spans = (await tracing.spans()).filter((s) => s.spanContext().traceId === id);
    const byRoute = (route: string) =>
      spans.find((s) => s.kind === SERVER && s.attributes['http.route'] === route);
    const gw = byRoute('/api/v1/sessions')!;
    const ag = byRoute('/generate-workflow')!;
    const en = byRoute('/execute')!;
    assert.ok(gw && ag && en, 'server spans of all three services are in the trace');
    assert.equal(gw.parentSpanContext, undefined, 'the gateway span is the root');
    for (const downstream of [ag, en]) {
      const parent = spans.find(
        (s) => s.spanContext().spanId === downstream.parentSpanContext?.spanId,
      )!;
      assert.equal(
        parent.kind,
        CLIENT,
        'each downstream server span is a child of a fetch client span',
      );
      // The client span sits under the gateway's request (through its handler span).
      const ancestors = new Set<string>();
      for (let p = parent; p?.parentSpanContext;) {
        ancestors.add(p.parentSpanContext.spanId);
        p = spans.find((s) => s.spanContext().spanId === p!.parentSpanContext!.spanId)!;
      }
      assert.ok(ancestors.has(gw.spanContext().spanId));
    }
    assert.equal(gw.attributes['tracking.id'], id);
    assert.equal(gw.attributes['user.id'], 'u-42');

    const lines = allLines();
    for (const name of ['workflow-agent', 'workflow-engine', 'api-gateway']) {
      assert.ok(
        lines.some((l) => l.service === name),
        `${name} logged`,
      );
    }
    const spanIds = new Set(spans.map((s) => s.spanContext().spanId));
    for (const { service: name, line } of lines.filter((l) => l.line['@message'] !== undefined)) {
      assert.equal(line.tracking_id, id, `${name}: ${JSON.stringify(line)}`);
      const tracing = line.tracing as { trace_id: string; span_id: string };
      assert.equal(tracing.trace_id, id);
      assert.ok(spanIds.has(tracing.span_id), `${name} span_id ${tracing.span_id} is a real span`);
    }
    const created = lines.find((l) => l.line['@message'] === 'session created')!;
    assert.deepEqual((created.line.user as { id: string }).id, 'u-42');

    const fetched = await request(gateway.app).get(`/api/v1/sessions/${row.id}`).expect(200);
    assert.equal(fetched.body.tracking_id, id);
    assert.equal(fetched.body.user_id, 'u-42');
  });

  it('answers 502 with the same tracking id when the engine fails, and marks the engine span', async () => {
    const res = await request(gateway.app)
      .post('/api/v1/sessions')
      .send({ user_id: 'u-1', workflow_type: 'research', fail: true })
      .expect(502);
    const id = res.headers['x-tracking-id'];
    assert.equal(res.body.tracking_id, id);
    assert.equal(res.body.error.type, 'UpstreamError');
    const spans = (await tracing.spans()).filter((s) => s.spanContext().traceId === id);
    const withEvent = spans.filter((s) => s.events.some((e) => e.name === 'error_log'));
    assert.ok(withEvent.length >= 1, 'an error_log event was recorded');
    const engineEvents = withEvent.flatMap((s) => s.events.filter((e) => e.name === 'error_log'));
    const stepFailed = engineEvents.find((e) => e.attributes?.['error.type'] === 'StepFailedError');
    assert.ok(stepFailed, 'the engine ERROR log became a span event');
    assert.equal(stepFailed.attributes?.['tracking.id'], id);
    const engineServer = spans.find(
      (s) => s.kind === SERVER && s.attributes['http.route'] === '/execute',
    )!;
    assert.equal(engineServer.status.code, 2, 'engine server span status ERROR');
    const errorLine = engine.logs.lines().find((l) => l['@level'] === 'ERROR');
    assert.ok(errorLine);
    assert.equal(errorLine.tracking_id, id);
  });

  it('continues a client-supplied traceparent end to end', async () => {
    const caller = '0af7651916cd43dd8448eb211c80319c';
    const res = await request(gateway.app)
      .post('/api/v1/sessions')
      .set('traceparent', `00-${caller}-b7ad6b7169203331-01`)
      .send({ user_id: 'u-2', workflow_type: 'report' })
      .expect(201);
    assert.equal(res.headers['x-tracking-id'], caller);
    assert.equal(sessions.get(res.body.session_id)!.tracking_id, caller);
    const servers = (await tracing.serverSpans(caller)).map((s) => s.attributes['http.route']);
    assert.deepEqual(
      new Set(servers),
      new Set(['/api/v1/sessions', '/generate-workflow', '/execute']),
    );
  });

  it('serves request metrics with environment, project, service labels and route templates', async () => {
    await request(gateway.app)
      .post('/api/v1/sessions')
      .send({ user_id: 'u-3', workflow_type: 'report' })
      .expect(201);
    for (const [name, s, endpoint] of [
      ['api-gateway', gateway, '/api/v1/sessions'],
      ['workflow-agent', agent, '/generate-workflow'],
      ['workflow-engine', engine, '/execute'],
    ] as const) {
      const text = (await request(s.app).get('/metrics').expect(200)).text;
      const line = text
        .split('\n')
        .find((l) => l.startsWith('request_count_total{') && l.includes(`endpoint="${endpoint}"`));
      assert.ok(line, `${name} exposes request_count_total for ${endpoint}`);
      assert.match(line, /environment="test"/);
      assert.match(line, /project="starmates-ai-team"/);
      assert.match(line, new RegExp(`service="${name}"`));
    }
    const agentText = (await request(agent.app).get('/metrics')).text;
    assert.match(agentText, /ai_requests_total\{[^}]*model="gpt-4o-mini"/);
    assert.match(agentText, /ai_tokens_total\{[^}]*token_type="input"/);
  });

  it("labels workflow_success_rate with a known workflow type, any other text 'other'", async () => {
    for (const workflowType of ['research', 'made-up-1', 'made-up-2']) {
      await request(gateway.app)
        .post('/api/v1/sessions')
        .send({ user_id: 'u-label', workflow_type: workflowType })
        .expect(201);
    }
    const types = new Set(
      (await request(engine.app).get('/metrics')).text
        .split('\n')
        .filter((l) => l.startsWith('workflow_success_rate_count{'))
        .map((l) => /workflow_type="([^"]*)"/.exec(l)?.[1]),
    );
    assert.ok(types.has('research') && types.has('other'), [...types].join());
    assert.ok(![...types].some((t) => t?.startsWith('made-up')), [...types].join());
  });

  it('keeps each of 48 concurrent sessions, some failing, to its own id in rows, spans and logs', async () => {
    // Real sockets between the three services, all requests in flight at once: the context of
    // one request must never reach another's log line, span or row.
    const gw = await listen(gateway.app);
    const N = 48;
    const fails = (i: number) => i % 4 === 3;
    let results: { i: number; status: number; id: string; body: Record<string, unknown> }[];
    try {
      results = await Promise.all(
        Array.from({ length: N }, async (_, i) => {
          const res = await request(gw.url)
            .post('/api/v1/sessions')
            .send({
              user_id: `cu-${i}`,
              workflow_type: `cw-${i}`,
              ...(fails(i) && { fail: true }),
            });
          return {
            i,
            status: res.status,
            id: String(res.headers['x-tracking-id']),
            body: res.body,
          };
        }),
      );
    } finally {
      await gw.close();
    }
    const idOf = new Map<number, string>();
    for (const r of results) {
      assert.equal(r.status, fails(r.i) ? 502 : 201, `request ${r.i}: ${JSON.stringify(r.body)}`);
      assert.match(r.id, /^[0-9a-f]{32}$/);
      assert.equal(r.body.tracking_id, r.id);
      if (!fails(r.i)) assert.equal(sessions.get(String(r.body.session_id))!.tracking_id, r.id);
      idOf.set(r.i, r.id);
    }
    assert.equal(new Set(idOf.values()).size, N, 'one tracking id per request');

    const spans = await tracing.spans();
    const spanTrace = new Map(spans.map((s) => [s.spanContext().spanId, s.spanContext().traceId]));
    for (const [i, id] of idOf) {
      const servers = spans.filter((s) => s.kind === SERVER && s.spanContext().traceId === id);
      const route = (r: string) => servers.filter((s) => s.attributes['http.route'] === r);
      assert.equal(route('/api/v1/sessions').length, 1, `request ${i}: one gateway span`);
      assert.equal(route('/generate-workflow').length, 1, `request ${i}: one agent span`);
      assert.equal(route('/execute').length, 1, `request ${i}: one engine span`);
      assert.equal(route('/api/v1/sessions')[0]!.attributes['user.id'], `cu-${i}`);
      assert.equal(
        route('/execute')[0]!.status.code,
        fails(i) ? 2 : 0,
        `request ${i}: engine status`,
      );
    }

    // Each line names its request twice: by its tracking id, and by the user or workflow the
    // handler put in the request's context. The two must agree, in every service.
    const requestOf = (line: Record<string, unknown>): number | undefined => {
      const workflow = (line.workflow as { type?: string } | undefined)?.type;
      const user = (line.user as { id?: string } | undefined)?.id;
      const tag = /^c[wu]-(\d+)$/.exec(workflow ?? user ?? '');
      return tag ? Number(tag[1]) : undefined;
    };
    const seen = new Map<string, Set<number>>();
    for (const { service: name, line } of allLines()) {
      const i = requestOf(line);
      if (i === undefined) continue;
      assert.equal(line.tracking_id, idOf.get(i), `${name}: ${JSON.stringify(line)}`);
      const { trace_id, span_id } = line.tracing as { trace_id: string; span_id: string };
      assert.equal(trace_id, idOf.get(i));
      assert.equal(spanTrace.get(span_id), trace_id, `${name}: span_id is a span of its own trace`);
      if (!seen.has(name)) seen.set(name, new Set());
      seen.get(name)!.add(i);
    }
    for (const name of ['workflow-agent', 'workflow-engine', 'api-gateway']) {
      assert.equal(seen.get(name)?.size, N, `${name} logged a line for each request`);
    }

    for (const s of [agent, engine, gateway]) {
      const text = (await request(s.app).get('/metrics').expect(200)).text;
      const active = text.split('\n').filter((l) => l.startsWith('active_requests{'));
      assert.ok(active.length > 0);
      for (const l of active) {
        // Only the /metrics request being served may be in flight.
        assert.match(l, l.includes('endpoint="/metrics"') ? / [01]$/ : / 0$/, l);
      }
    }
  });

  it('rejects a bad body with 400 and the tracking id, and unknown routes with 404', async () => {
    const bad = await request(gateway.app)
      .post('/api/v1/sessions')
      .send({ user_id: 7 })
      .expect(400);
    assert.equal(bad.body.tracking_id, bad.headers['x-tracking-id']);
    assert.equal(bad.body.error.code, 'invalid_body');
    const missing = await request(gateway.app).get('/nope').expect(404);
    assert.equal(missing.body.tracking_id, missing.headers['x-tracking-id']);
    const noSession = await request(gateway.app).get('/api/v1/sessions/none').expect(404);
    assert.equal(noSession.body.error.code, 'session_not_found');
  });

  it('plans a workflow type named like an Object.prototype key as any unknown type, not a 500', async () => {
    for (const workflowType of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const res = await request(gateway.app)
        .post('/api/v1/sessions')
        .send({ user_id: 'u-proto', workflow_type: workflowType })
        .expect(201);
      const plan = await request(agent.app)
        .post('/generate-workflow')
        .send({ user_id: 'u-proto', workflow_type: workflowType })
        .expect(200);
      assert.deepEqual(plan.body.plan.steps, ['analyse', 'execute'], workflowType);
      assert.equal(sessions.get(res.body.session_id)!.status, 'completed');
    }
    assert.equal(
      agent.logs.lines().filter((l) => l['@level'] === 'ERROR').length,
      0,
      'the agent logged no error',
    );
  });

  it("answers OPTIONS on a route with Express's Allow, and with the tracking id", async () => {
    const options = await request(gateway.app).options('/api/v1/sessions').expect(200);
    assert.match(String(options.headers.allow), /POST/);
    assert.match(String(options.headers['x-tracking-id']), /^[0-9a-f]{32}$/);
    const unknown = await request(gateway.app).options('/nope').expect(404);
    assert.match(String(unknown.headers['x-tracking-id']), /^[0-9a-f]{32}$/);
  });
});

/** The shutdown fixture as its own process, started as the examples start, exporting to a receiver. */
async function shutdownProbe(env: Record<string, string>) {
  const receiver = await startOtlpReceiver();
  const child = fork(path.join(__dirname, 'fixtures', 'shutdown-service.cjs'), [], {
    env: { ...process.env, PORT: '0', OTLP_URL: receiver.url, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  const [ready] = (await once(child, 'message')) as [{ ready: string; port: number }];
  return {
    child,
    receiver,
    ready,
    base: `http://127.0.0.1:${ready.port}`,
    exited: once(child, 'exit'),
    /** The access lines it wrote on stdout. */
    accessLines: () =>
      stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, any>)
        .filter((l) => l.request),
    stop: async () => {
      child.kill('SIGKILL');
      await receiver.close();
    },
  };
}

/** GET over `agent`: "status connection-header body", with " (cut)" if the body was cut off. */
function keepAliveGet(url: string, agent: http.Agent): Promise<string> {
  return new Promise((resolve, reject) =>
    http
      .get(url, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.once('close', () =>
          resolve(
            `${res.statusCode} ${res.headers.connection} ${body}${res.complete ? '' : ' (cut)'}`,
          ),
        );
      })
      .once('error', reject),
  );
}

describe('service-kit', () => {
  it('streams a response with stream.pipeline() without a listener-leak warning', async () => {
    // Node, Express, pipeline() and the http and express instrumentation put 9 'close'
    // listeners on such a response between them, the app 1; requestLogger() and httpMetrics()
    // each add one, and make room for it.
    enableTestTracing();
    const metrics = prometheusMetrics({ serviceName: 'stream-probe', environment: 'test' });
    const logs = captureLines();
    const { app, finish } = createService({
      defaultServiceName: 'stream-probe',
      logStream: logs.stream,
      meterProvider: metrics.meterProvider,
    });
    app.get('/export', (_req, res, next) => {
      // One listener of the app's own: still no warning, as without the packages.
      res.on('close', () => undefined);
      pipeline(Readable.from(['a,b\n', '1,2\n']), res, (err) => err && next(err));
    });
    finish();
    const warnings = await warningsOf(async () => {
      for (let i = 0; i < 3; i++) {
        const res = await request(app).get('/export').expect(200);
        assert.equal(res.text, 'a,b\n1,2\n');
      }
    });
    assert.deepEqual(
      warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message),
      [],
    );
    const statuses = logs
      .lines()
      .filter((l) => (l.request as { path?: string } | undefined)?.path === '/export')
      .map((l) => (l.response as { status?: number } | undefined)?.status);
    assert.deepEqual(statuses, [200, 200, 200]);
  });

  it('takes the environment from DEPLOYMENT_ENVIRONMENT first, as the packages do', async () => {
    const saved = { d: process.env.DEPLOYMENT_ENVIRONMENT, e: process.env.ENVIRONMENT };
    const bodies: Record<string, unknown>[] = [];
    try {
      for (const [deployment, environment] of [
        ['prod', 'dev'],
        ['dev', 'prod'],
      ] as const) {
        process.env.DEPLOYMENT_ENVIRONMENT = deployment;
        process.env.ENVIRONMENT = environment;
        const logs = captureLines();
        const { app, finish } = createService({
          defaultServiceName: 'env-probe',
          logStream: logs.stream,
          meterProvider: prometheusMetrics({ serviceName: 'env-probe' }).meterProvider,
        });
        app.get('/boom', () => {
          throw new Error('internal detail');
        });
        finish();
        bodies.push((await request(app).get('/boom').expect(500)).body.error);
      }
    } finally {
      for (const [key, value] of [
        ['DEPLOYMENT_ENVIRONMENT', saved.d],
        ['ENVIRONMENT', saved.e],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    assert.equal(bodies[0]!.stack, undefined, 'prod: no stack');
    assert.equal(bodies[0]!.message, 'Internal Server Error');
    assert.match(String(bodies[1]!.stack), /internal detail/, 'dev: the stack');
  });

  it('names itself as its spans do: OTEL_SERVICE_NAME under the register entry, else its default', async () => {
    const receiver = await startOtlpReceiver();
    const names = async (env: Record<string, string | undefined>, execArgv: string[]) => {
      const child = fork(path.join(__dirname, 'fixtures', 'env-named-service.cjs'), [], {
        // The test's own OTEL_* variables left out: only the case's own name the service.
        env: {
          ...Object.fromEntries(
            Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')),
          ),
          ...env,
          PORT: '0',
        },
        execArgv,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d) => (stdout += d));
      child.stderr!.on('data', (d) => (stderr += d));
      try {
        const [{ port, ready }] = (await once(child, 'message')) as [
          { port: number; ready: string },
        ];
        const base = `http://127.0.0.1:${port}`;
        const health = (await (await fetch(`${base}/health`)).json()) as { service: string };
        assert.equal((await fetch(`${base}/no-such-route`)).status, 404);
        const metrics = await (await fetch(`${base}/metrics`)).text();
        const served = /request_count_total\{[^}]*endpoint="unmatched"[^}]*\}/.exec(metrics)?.[0];
        // The access line is written when the response closes, after the client has it.
        for (let i = 0; i < 100 && !stdout.includes('"request"'); i++) await sleep(20);
        const access = stdout
          .split('\n')
          .filter((l) => l.includes('"request"'))
          .map((l) => JSON.parse(l) as { service: string });
        return {
          health: health.service,
          access: access.map((l) => l.service),
          served,
          ready,
          listening: /^(\S+) listening on /m.exec(stderr)?.[1],
        };
      } finally {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    };
    try {
      const registered = await names(
        {
          OTEL_SERVICE_NAME: 'gateway-eu',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_METRICS_EXPORTER: 'prometheus',
        },
        ['--require', '@ai-teams/telemetry/register'],
      );
      assert.equal(registered.health, 'gateway-eu');
      assert.deepEqual(registered.access, ['gateway-eu']);
      assert.match(String(registered.served), /service_name="gateway-eu"/);
      assert.match(String(registered.served), /service="gateway-eu"/);
      // serve() was given 'env-named-probe': the app's own name wins in its messages.
      assert.equal(registered.ready, 'gateway-eu');
      assert.equal(registered.listening, 'gateway-eu');

      const bare = await names({}, []);
      assert.equal(bare.health, 'kit-default');
      assert.deepEqual(bare.access, ['kit-default']);
      assert.equal(bare.served, undefined, 'no telemetry: no /metrics exporter');
      assert.equal(bare.ready, 'kit-default');
      assert.equal(bare.listening, 'kit-default');
    } finally {
      await receiver.close();
    }
  });

  it('exits non-zero when the port is taken, instead of saying it listens', async () => {
    const taken = await listen(express());
    try {
      const port = new URL(taken.url).port;
      const child = spawnSync(
        process.execPath,
        ['-e', "require('@ai-teams/example-service-kit').serve(require('express')(), 1, 'probe')"],
        { cwd: __dirname, env: { ...process.env, PORT: port }, encoding: 'utf8', timeout: 20_000 },
      );
      assert.equal(child.status, 1, child.stderr);
      assert.match(child.stderr, /probe could not listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
      assert.doesNotMatch(child.stderr, /listening on/);
    } finally {
      await taken.close();
    }
  });

  it('on SIGTERM lets a request finish and closes its connection, cuts a stuck one after the grace, and exports both', async () => {
    const probe = await shutdownProbe({ SHUTDOWN_GRACE_MS: '600' });
    const { child, receiver, ready, base } = probe;
    try {
      assert.ok(ready.port > 0, `the bound port, not PORT=0: ${JSON.stringify(ready)}`);
      assert.equal(await getTarget(base, '/fast'), 200);
      const running = new Set<string>();
      const started = new Promise<void>((resolve) =>
        child.on('message', (m: { running?: string }) => {
          if (m.running) running.add(m.running);
          if (running.size === 2) resolve();
        }),
      );
      // On a keep-alive connection: told to close it, so shutdown need not wait for it idle.
      const agent = new http.Agent({ keepAlive: true });
      const medium = keepAliveGet(`${base}/medium`, agent);
      const stuck = getTarget(base, '/stuck').catch((e: NodeJS.ErrnoException) => e.code);
      await started;
      child.kill('SIGTERM');
      assert.deepEqual(await Promise.all([medium, stuck]), ['200 close {"ok":true}', 'ECONNRESET']);
      assert.deepEqual(await probe.exited, [0, null]);

      assert.deepEqual(
        probe
          .accessLines()
          .map((l) => [l.request.path, l.response.status, l.response.aborted ?? false])
          .sort(),
        [
          ['/fast', 200, false],
          ['/medium', 200, false],
          ['/stuck', 500, true],
        ],
      );
      const spans = receiver.spans().filter(({ span }) => span.kind === 2);
      assert.deepEqual(spans.map(({ span }) => span.name).sort(), [
        'GET /fast',
        'GET /medium',
        'GET /stuck',
      ]);
      // The cut one's span says what its access line and request_count say.
      assert.deepEqual(
        spans
          .map(({ span }) => {
            const status = attributesOf(span.attributes)['http.response.status_code'];
            return `${span.name} ${status} ${span.status?.code ?? 0}`;
          })
          .sort(),
        ['GET /fast 200 0', 'GET /medium 200 0', 'GET /stuck 500 2'],
      );
      const logged = receiver.logRecords().map(({ record }) => record.body?.stringValue);
      for (const message of ['GET /fast - 200', 'GET /medium - 200', 'GET /stuck - 500']) {
        assert.ok(logged.includes(message), `${message} exported: ${JSON.stringify(logged)}`);
      }
      const pushed = (name: string) =>
        receiver.requests
          .filter((r) => r.path === '/v1/metrics')
          .flatMap((r) => r.body.resourceMetrics as any[])
          .flatMap((rm) => rm.scopeMetrics.flatMap((sm: any) => sm.metrics))
          .filter((m) => m.name === name)
          .flatMap((m) => m.sum.dataPoints)
          .map((p: any) => {
            const a = attributesOf(p.attributes);
            return `${a.endpoint} ${a.status_code}=${p.asInt ?? p.asDouble}`;
          });
      const counts = pushed('request_count');
      for (const c of ['/fast 200=1', '/medium 200=1', '/stuck 500=1']) {
        assert.ok(counts.includes(c), `${c} in ${JSON.stringify(counts)}`);
      }
      // Cut by the server's shutdown: an error of the service, not a client that left.
      assert.deepEqual([...new Set(pushed('request_errors_total'))], ['/stuck 500=1']);
    } finally {
      await probe.stop();
    }
  });

  it('on SIGTERM delivers every response of a pipeline, answered or running, before closing its connection', async () => {
    const probe = await shutdownProbe({ SHUTDOWN_GRACE_MS: '5000' });
    const { child, ready } = probe;
    try {
      let running = 0;
      const started = new Promise<void>((resolve) =>
        child.on('message', (m: { running?: string }) => {
          if (m.running === '/medium' && ++running === 2) resolve();
        }),
      );
      // Three requests in one write: the later ones wait on the connection behind the first.
      const socket = net.connect(ready.port, '127.0.0.1');
      let received = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (received += chunk));
      const closed = once(socket, 'close');
      socket.write(
        ['/medium', '/big', '/medium']
          .map((target) => `GET ${target} HTTP/1.1\r\nHost: probe\r\n\r\n`)
          .join(''),
      );
      // Both /medium handlers run (300 ms); /big has answered, queued behind the first.
      await started;
      child.kill('SIGTERM');
      await closed;
      assert.deepEqual(await probe.exited, [0, null]);
      const text = received.split('x'.repeat(8 * 1024 * 1024)).join('[the 8 MiB body]');
      // A status line follows the previous body on the same line: no ^ anchor.
      assert.deepEqual(
        [...text.matchAll(/HTTP\/1\.1 (\d{3})[^]*?\r\nConnection: (\S+)/gi)].map(
          (m) => `${m[1]} ${m[2]!.toLowerCase()}`,
        ),
        ['200 keep-alive', '200 keep-alive', '200 close'],
        'all three answered; only the last one closes the connection',
      );
      assert.match(text, /\[the 8 MiB body\]HTTP\/1\.1 200/, 'the big body whole');
      assert.deepEqual(
        probe.accessLines().map((l) => [l.request.path, l.response.status]),
        [
          ['/medium', 200],
          ['/big', 200],
          ['/medium', 200],
        ],
      );
    } finally {
      await probe.stop();
    }
  });

  it('on SIGTERM finishes writing a response that a slow client is still reading', async () => {
    const probe = await shutdownProbe({ SHUTDOWN_GRACE_MS: '5000' });
    const { child, ready } = probe;
    try {
      const socket = net.connect(ready.port, '127.0.0.1');
      let received = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (received += chunk));
      const closed = once(socket, 'close');
      await once(socket, 'connect');
      socket.write('GET /big HTTP/1.1\r\nHost: probe\r\n\r\n');
      // Read nothing for now: /big has answered, and most of its 8 MiB waits to be written.
      socket.pause();
      await new Promise((r) => setTimeout(r, 300));
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      socket.resume();
      await closed;
      assert.deepEqual(await probe.exited, [0, null]);
      const body = received.slice(received.indexOf('\r\n\r\n') + 4);
      assert.equal(body.length, 8 * 1024 * 1024, 'the whole body');
    } finally {
      await probe.stop();
    }
  });

  it('on SIGTERM, twice, closes a keep-alive connection once its streamed response ends, and exits', async () => {
    // Grace and keep-alive timeout far beyond the test's timeout: the service exits only if it
    // closes the connection itself, and only if the second signal does not end it first.
    const probe = await shutdownProbe({
      // Beyond a timer's range (2^31 - 1 ms): taken as the longest timer, not as 1 ms.
      SHUTDOWN_GRACE_MS: '3000000000',
      KEEP_ALIVE_TIMEOUT_MS: '600000',
    });
    const { child, base } = probe;
    try {
      const agent = new http.Agent({ keepAlive: true });
      const running = once(child, 'message');
      const streamed = keepAliveGet(`${base}/stream`, agent);
      await running;
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      // Its headers went out before the signal, as keep-alive.
      assert.equal(await streamed, '200 keep-alive first;last');
      assert.deepEqual(await probe.exited, [0, null]);
      assert.deepEqual(
        probe.accessLines().map((l) => l['@message']),
        ['GET /stream - 200'],
      );
      agent.destroy();
    } finally {
      await probe.stop();
    }
  });

  it("on the IPC message 'shutdown' (Windows has no SIGTERM) lets a request finish, exports it and exits", async () => {
    const probe = await shutdownProbe({ SHUTDOWN_GRACE_MS: '5000' });
    const { child, receiver, base } = probe;
    try {
      assert.equal(await getTarget(base, '/fast'), 200);
      const agent = new http.Agent({ keepAlive: true });
      const running = once(child, 'message');
      const medium = keepAliveGet(`${base}/medium`, agent);
      await running;
      child.send('shutdown');
      assert.equal(await medium, '200 close {"ok":true}');
      assert.deepEqual(await probe.exited, [0, null]);
      const spans = receiver.spans().filter(({ span }) => span.kind === 2);
      assert.deepEqual(spans.map(({ span }) => span.name).sort(), ['GET /fast', 'GET /medium']);
      agent.destroy();
    } finally {
      await probe.stop();
    }
  });
});

describe('a service crash (handleExceptions, as main.ts sets it)', () => {
  it('writes one JSON line with the tracking id, exports the span, and exits 1', async () => {
    const receiver = await startOtlpReceiver();
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const child = fork(path.join(__dirname, 'fixtures', 'crash-service.cjs'), [], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        OTEL_SERVICE_NAME: 'crash-probe',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_BSP_SCHEDULE_DELAY: '600000',
      },
      execArgv: ['--require', '@ai-teams/telemetry/register'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    try {
      const exited = once(child, 'exit');
      const started = once(child, 'message') as Promise<[{ port: number }]>;
      const [{ port }] = await Promise.race([
        started,
        exited.then(() => assert.fail(`exited at start-up: ${stdout}`)),
      ]);
      void fetch(`http://127.0.0.1:${port}/crash`, {
        headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` },
      }).catch(() => {});
      const [code] = (await exited) as [number | null];
      assert.equal(code, 1);
      const errors = stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, any>)
        .filter((l) => l['@level'] === 'ERROR');
      assert.deepEqual(
        errors.map((l) => [l['@message'], l.service, l.tracking_id]),
        [['uncaught exception: crashed in a timer', 'crash-probe', traceId]],
      );
      const server = receiver.spans().find((x) => x.span.kind === 2);
      assert.equal(server?.span.traceId, traceId);
      assert.equal(server?.span.status.code, 2);
    } finally {
      child.kill();
      await receiver.close();
    }
  });
});

describe('a SIGTERM while a crash is being flushed', () => {
  it('still exits 1, not 0 as a clean shutdown', async () => {
    const child = fork(path.join(__dirname, 'fixtures', 'crash-then-term.cjs'), [], {
      env: { PATH: process.env.PATH ?? '', PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    try {
      const exited = once(child, 'exit');
      await once(child, 'message');
      child.send('crash');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 1);
      assert.match(stdout, /"uncaught exception: crashed outside a request"/);
    } finally {
      child.kill();
    }
  });
});
