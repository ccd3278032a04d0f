import assert from 'node:assert/strict';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { RPCType, setRPCMetadata } from '@opentelemetry/core';
import type { Express, RequestHandler } from 'express';
import request from 'supertest';
import {
  describeExpress,
  enableTestTracing,
  wrappedLayers,
  type TestTracing,
} from '@ai-teams/test-utils';
import { trackingId, unwrapSkippedLayer } from '../src';

/** The context the http instrumentation gives a request: its server span is the active span. */
function serverContext() {
  const span = trace.wrapSpanContext({
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: 1,
  });
  return setRPCMetadata(trace.setSpan(ROOT_CONTEXT, span), { type: RPCType.HTTP, span });
}

describeExpress('unwrapSkippedLayer()', (createApp, version) => {
  let tracing: TestTracing;
  before(() => {
    tracing = enableTestTracing();
  });
  beforeEach(() => tracing.reset());
  afterEach(() => tracing.express.setConfig({}));

  async function trackedTwice(app: Express) {
    for (let i = 0; i < 2; i++) {
      const res = await request(app).get('/api/items/1').expect(200);
      const id = String(res.headers['x-tracking-id']);
      const [server] = await tracing.serverSpans(id);
      assert.ok(server, `request ${i}: a server span with the tracking id`);
      assert.equal(server.attributes['tracking.id'], id);
      assert.equal(server.attributes['http.route'], '/api/items/:id');
    }
  }

  it('takes the wrapper off a layer the express instrumentation skips, at app and router level', async () => {
    tracing.express.setConfig({ ignoreLayers: [/^middleware - trackingIdMiddleware$/] });
    const app = createApp();
    app.use(trackingId());
    const router = version.load().Router();
    router.use(trackingId());
    router.get('/items/:id', (_req, res) => {
      res.json({ ok: true });
    });
    app.use('/api', router);
    assert.deepEqual(wrappedLayers(app, 'trackingIdMiddleware'), [true, true]);

    await trackedTwice(app);

    assert.deepEqual(wrappedLayers(app, 'trackingIdMiddleware'), [false, false]);
    // Only the layers it was asked about: the router keeps its wrapper.
    assert.deepEqual(wrappedLayers(app, 'router'), [true]);
    const names = (await tracing.spans()).map((s) => s.name);
    assert.ok(!names.some((n) => n.includes('trackingIdMiddleware')), names.join(', '));
    assert.ok(
      names.some((n) => n.startsWith('request handler')),
      names.join(', '),
    );
  });

  it('leaves the wrapper, and its layer spans, when the instrumentation is not told to skip it', async () => {
    const app = createApp();
    app.use(trackingId());
    app.get('/api/items/:id', (_req, res) => {
      res.json({ ok: true });
    });
    await trackedTwice(app);
    assert.deepEqual(wrappedLayers(app, 'trackingIdMiddleware'), [true]);
    const layerSpans = (await tracing.spans()).filter(
      (s) => s.name === 'middleware - trackingIdMiddleware',
    );
    assert.equal(layerSpans.length, 2, 'one layer span per request');
  });

  it('is unsettled outside a traced request, and settles in one', async () => {
    const seen: boolean[] = [];
    const mw: RequestHandler = function probe(req, _res, next) {
      seen.push(unwrapSkippedLayer(req, probe));
      next();
    };
    tracing.express.setConfig({ ignoreLayers: ['middleware - probe'] });
    const app = createApp();
    app.use(mw);
    app.get('/api/items/:id', (_req, res) => {
      res.json({ ok: true });
    });
    const fake = { app } as never;
    assert.equal(unwrapSkippedLayer(fake, mw), false);
    await request(app).get('/api/items/1').expect(200);
    assert.deepEqual(seen, [true]);
    assert.deepEqual(wrappedLayers(app, 'probe'), [false]);
  });

  it("leaves another tool's shimmer-style wrapper in place", () => {
    const server = serverContext();
    const mine = () => 0;
    let unwrapped = 0;
    const theirs = Object.assign(function vendorWrapper() {}, {
      __wrapped: true,
      __original: mine,
      __unwrap: () => unwrapped++,
    });
    const req = { app: { router: { stack: [{ handle: theirs }] } } };
    assert.equal(
      context.with(server, () => unwrapSkippedLayer(req as never, mine)),
      true,
    );
    assert.equal(unwrapped, 0);
  });

  it('survives apps of odd shapes, cyclic ones included', () => {
    const server = serverContext();
    const cyclic: { handle: unknown }[] = [];
    const router = Object.assign(() => undefined, { stack: cyclic });
    cyclic.push({ handle: router }, { handle: router });
    const odd = [
      {},
      { app: {} },
      { app: { router: { stack: [null, { handle: 1 }, { handle: { stack: 5 } }] } } },
      { app: { _router: { stack: cyclic } } },
    ];
    for (const req of odd) {
      const settled = context.with(server, () => unwrapSkippedLayer(req as never, () => 0));
      assert.equal(settled, true);
    }
  });
});
