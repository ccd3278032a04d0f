import assert from 'node:assert/strict';
import { context, type Context } from '@opentelemetry/api';
import request from 'supertest';
import {
  captureLines,
  describeExpress,
  disableTestTracing,
  enableTestTracing,
  tick,
  wrappedLayers,
  type TestTracing,
} from '@ai-teams/test-utils';
import { REQUEST_TRACKING_ID, setRequestContext, trackingId } from '@ai-teams/tracking-id';
import { capturedLogger } from './helpers';
import { createLogger, requestLogger } from '../src';

// The layers @ai-teams/telemetry tells the express instrumentation to make no span for.
const QUIET = /^middleware - (trackingIdMiddleware|requestLoggerMiddleware)$/;

function appWithLogging(createApp: () => import('express').Express) {
  const { out, logger } = capturedLogger({ service: 'api-gateway', environment: 'dev' });
  const app = createApp();
  app.use(trackingId());
  app.use(requestLogger({ logger }));
  app.get('/api/v1/items/:id', async (req, res) => {
    setRequestContext({
      user: { id: 'user_12345', segment: 'premium' },
      operation: { name: 'get_item' },
    });
    await new Promise((resolve) => setImmediate(resolve));
    logger.info('loaded item', { item_id: req.params.id, user: { plan: 'pro' } });
    res.json({ ok: true });
  });
  return { app, out };
}

describeExpress('tracking and tracing in an instrumented request', (createApp, version) => {
  let tracing: TestTracing;
  before(() => {
    tracing = enableTestTracing();
  });
  after(() => disableTestTracing());
  beforeEach(() => tracing.reset());

  it('gives every line of the request its trace id as tracking_id and in tracing{}', async () => {
    const { app, out } = appWithLogging(createApp);
    const res = await request(app).get('/api/v1/items/7').expect(200);
    await tick();
    await tick();
    const id = String(res.headers['x-tracking-id']);
    assert.match(id, /^[0-9a-f]{32}$/);
    const [server] = await tracing.serverSpans(id);
    assert.ok(server, 'the request had a server span with that trace id');
    const lines = out.lines();
    assert.deepEqual(
      lines.map((l) => l['@message']),
      ['loaded item', 'GET /api/v1/items/7 - 200'],
    );
    for (const l of lines) {
      assert.equal(l.tracking_id, id);
      const t = l.tracing as Record<string, string>;
      assert.equal(t.trace_id, l.tracking_id);
      assert.match(t.span_id!, /^[0-9a-f]{16}$/);
      assert.deepEqual(l.operation, { name: 'get_item' });
    }
    assert.deepEqual(lines[0]!.user, { id: 'user_12345', segment: 'premium', plan: 'pro' });
    assert.deepEqual(lines[1]!.user, { id: 'user_12345', segment: 'premium' });
    assert.equal(lines[0]!.item_id, '7');
  });

  it("keeps the request's tracking_id over a call's (a logged request body), and takes the one handed over", async () => {
    const { out, logger } = capturedLogger({ service: 'api-gateway', environment: 'dev' });
    const app = createApp();
    app.use(trackingId());
    app.use(version.load().json());
    app.post('/orders', (req, res) => {
      logger.info('order received', req.body as Record<string, unknown>);
      logger.info('handed over', { [REQUEST_TRACKING_ID]: '0af7651916cd43dd8448eb211c80319c' });
      logger.info('not an id', { [REQUEST_TRACKING_ID]: 'job-42' });
      res.end();
    });
    const id = String(
      (
        await request(app)
          .post('/orders')
          .send({ item: 'book', tracking_id: '"},{"@level":"ERROR' })
          .expect(200)
      ).headers['x-tracking-id'],
    );
    const forged = await request(app)
      .post('/orders')
      .send({ tracking_id: 'ffffffffffffffffffffffffffffffff' })
      .expect(200);
    const [received, handed, notAnId, receivedHex] = out.lines();
    assert.equal(received!.tracking_id, id);
    assert.equal(received!.item, 'book');
    assert.equal(handed!.tracking_id, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(notAnId!.tracking_id, id);
    assert.equal(receivedHex!.tracking_id, forged.headers['x-tracking-id']);
    assert.equal(receivedHex!.tracking_id, (receivedHex!.tracing as { trace_id: string }).trace_id);
  });

  it('merges the request context under a string shorthand of the call (user, operation)', async () => {
    const { out, logger } = capturedLogger({ service: 'api-gateway', environment: 'dev' });
    const app = createApp();
    app.use(trackingId());
    app.get('/s', (_req, res) => {
      setRequestContext({ user: { id: 'ctx-user', segment: 'pro' }, operation: { type: 'write' } });
      logger.info('shorthand', { user: 'call-user', operation: 'create_session' });
      res.end();
    });
    await request(app).get('/s').expect(200);
    const [line] = out.lines();
    assert.deepEqual(line!.user, { id: 'call-user', segment: 'pro' });
    assert.deepEqual(line!.operation, { type: 'write', name: 'create_session' });
  });

  it('renders a batched access line at the end of the turn with the ids of its request', async () => {
    const out = captureLines();
    // Not sync: lines are joined per event-loop turn, and an access line of the usual shape
    // is rendered only then, after the handler's line has set the turn's write going (in the
    // handler span's context) and after the request's own context is gone.
    const logger = createLogger({ service: 'api-gateway', stream: out.stream, env: {} });
    const app = createApp();
    app.use(trackingId());
    app.use(requestLogger({ logger }));
    app.get('/api/v1/items/:id', (_req, res) => {
      logger.info('answering');
      res.json({ ok: true });
    });
    const res = await request(app).get('/api/v1/items/9').expect(200);
    await tick();
    await tick();
    const id = String(res.headers['x-tracking-id']);
    const [server] = await tracing.serverSpans(id);
    const lines = out.lines();
    assert.deepEqual(
      lines.map((l) => l['@message']),
      ['answering', 'GET /api/v1/items/9 - 200'],
    );
    const access = lines[1]!;
    assert.equal(access.tracking_id, id);
    const ids = access.tracing as Record<string, string>;
    assert.equal(ids.trace_id, id);
    assert.equal(ids.span_id, server!.spanContext().spanId, 'the server span of the close event');
    assert.notEqual(
      ids.span_id,
      (lines[0]!.tracing as Record<string, string>).span_id,
      "not the handler's span, active when the write was scheduled",
    );
  });

  it('keeps every line right after its layer sheds the skipped instrumentation wrapper', async () => {
    tracing.express.setConfig({
      ignoreLayers: [QUIET],
    });
    try {
      const { app, out } = appWithLogging(createApp);
      assert.deepEqual(wrappedLayers(app, 'requestLoggerMiddleware'), [true]);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await request(app).get('/api/v1/items/7').expect(200);
        ids.push(String(res.headers['x-tracking-id']));
      }
      await tick();
      await tick();
      assert.deepEqual(wrappedLayers(app, 'requestLoggerMiddleware'), [false]);
      assert.deepEqual(wrappedLayers(app, 'trackingIdMiddleware'), [false]);
      const access = out.lines().filter((l) => l['@message'] === 'GET /api/v1/items/7 - 200');
      assert.deepEqual(
        access.map((l) => l.tracking_id),
        ids,
      );
      for (const id of ids) assert.equal((await tracing.serverSpans(id)).length, 1);
    } finally {
      tracing.express.setConfig({});
    }
  });
});

describeExpress(
  'the access line of a request whose middleware has no span of its own',
  (createApp) => {
    let tracing: TestTracing;
    before(() => {
      tracing = enableTestTracing();
      // As @ai-teams/telemetry configures it: the server span is active in the middleware.
      tracing.express.setConfig({
        ignoreLayers: [QUIET],
      });
    });
    after(() => {
      tracing.express.setConfig({});
      disableTestTracing();
    });

    it("carries the server span's ids and the context the handler set, awaited or aborted", async () => {
      const { app, out } = appWithLogging(createApp);
      app.get('/slow', async (_req, res) => {
        setRequestContext({ session: { id: 'sess-9' } });
        await new Promise((resolve) => setTimeout(resolve, 1000));
        res.json({ late: true });
      });
      for (let i = 0; i < 2; i++) {
        const res = await request(app).get('/api/v1/items/7').expect(200);
        await tick();
        await tick();
        const id = String(res.headers['x-tracking-id']);
        const [server] = await tracing.serverSpans(id);
        const access = out.lines().find((l) => l.tracking_id === id && l.request)!;
        assert.equal(access['@message'], 'GET /api/v1/items/7 - 200');
        assert.deepEqual(access.tracing, { trace_id: id, span_id: server!.spanContext().spanId });
        assert.deepEqual(access.user, { id: 'user_12345', segment: 'premium' });
        assert.deepEqual(access.operation, { name: 'get_item' });
      }
      // A client that leaves: the line is written from the socket's close, in the same context.
      const aborted = request(app).get('/slow').timeout(300);
      await assert.rejects(aborted);
      for (let i = 0; i < 50 && !out.lines().some((l) => l['@message'] === 'GET /slow - 499'); i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      const line = out.lines().find((l) => l['@message'] === 'GET /slow - 499')!;
      assert.ok(line, 'the aborted request has its line');
      const [server] = await tracing.serverSpans(line.tracking_id as string);
      assert.deepEqual(line.tracing, {
        trace_id: line.tracking_id,
        span_id: server!.spanContext().spanId,
      });
      assert.deepEqual(line.session, { id: 'sess-9' });
    });

    it("keeps a request's own ids when a middleware before it ran next() in another request's context", async () => {
      tracing.express.setConfig({
        ignoreLayers: [
          /^middleware - (trackingIdMiddleware|requestLoggerMiddleware|lossyMiddleware)$/,
        ],
      });
      // The middleware after trackingId(), then before it (the tracking id is the other request's,
      // as documented): the access line's tracing{} stays its own server span's either way, and
      // after trackingId() its tracking_id too. Lines logged by the app after such a middleware
      // read the other request's tracking id (see tracking-id's README).
      for (const lossyFirst of [false, true]) {
        tracing.reset();
        const { out, logger } = capturedLogger({ service: 'api-gateway', environment: 'dev' });
        const app = createApp();
        // The context of the first request, kept and handed to the next: as a client library that
        // queues callbacks runs them in whichever request's context queued first.
        let foreign: Context | undefined;
        const lossy = function lossyMiddleware(_req: unknown, _res: unknown, next: () => void) {
          if (foreign === undefined) {
            foreign = context.active();
            next();
          } else context.with(foreign, next);
        };
        if (lossyFirst) app.use(lossy);
        app.use(trackingId());
        if (!lossyFirst) app.use(lossy);
        app.use(requestLogger({ logger }));
        app.get('/r/:n', (_req, res) => res.json({ ok: true }));
        for (let i = 0; i < 3; i++) await request(app).get(`/r/${i}`).expect(200);
        await tick();
        await tick();
        const servers = await tracing.serverSpans();
        assert.equal(servers.length, 3);
        for (let i = 0; i < 3; i++) {
          const server = servers.find((s) => s.attributes['url.path'] === `/r/${i}`)!;
          const own = server.spanContext();
          const line = out.lines().find((l) => l['@message'] === `GET /r/${i} - 200`)!;
          assert.deepEqual(line.tracing, { trace_id: own.traceId, span_id: own.spanId }, `/r/${i}`);
          if (!lossyFirst) assert.equal(line.tracking_id, own.traceId);
        }
      }
    });
  },
);

describeExpress('tracking without an OpenTelemetry SDK', (createApp) => {
  it('takes tracking_id from getTrackingId() and writes no tracing{}', async () => {
    const { app, out } = appWithLogging(createApp);
    const res = await request(app).get('/api/v1/items/8').expect(200);
    await tick();
    await tick();
    const id = String(res.headers['x-tracking-id']);
    const lines = out.lines();
    assert.equal(lines.length, 2);
    for (const l of lines) {
      assert.equal(l.tracking_id, id);
      assert.equal(l.tracing, undefined);
      assert.deepEqual(l.operation, { name: 'get_item' });
    }
  });

  it('writes "unknown" outside a request', () => {
    const out = captureLines();
    createLogger({ service: 's', stream: out.stream, sync: true, env: {} }).info('boot');
    assert.equal(out.lines()[0]!.tracking_id, 'unknown');
  });
});
