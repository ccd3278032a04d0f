import assert from 'node:assert/strict';
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
import { setRequestContext, trackingId } from '@ai-teams/tracking-id';
import { capturedLogger } from './helpers';
import { createLogger, requestLogger } from '../src';

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

describeExpress('tracking and tracing in an instrumented request', (createApp) => {
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

  it('keeps every line right after its layer sheds the skipped instrumentation wrapper', async () => {
    tracing.express.setConfig({
      ignoreLayers: [/^middleware - (trackingIdMiddleware|requestLoggerMiddleware)$/],
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
