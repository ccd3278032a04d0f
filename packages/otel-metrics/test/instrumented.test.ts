import assert from 'node:assert/strict';
import request from 'supertest';
import {
  describeExpress,
  disableTestTracing,
  enableTestTracing,
  wrappedLayers,
  type TestTracing,
} from '@ai-teams/test-utils';
import { metricsApp } from './helpers';

describeExpress('httpMetrics() under the express instrumentation', (createApp, version) => {
  let tracing: TestTracing;
  before(() => {
    tracing = enableTestTracing();
  });
  after(() => {
    tracing.express.setConfig({});
    disableTestTracing();
  });
  beforeEach(() => tracing.reset());

  function nestedApp() {
    const m = metricsApp(createApp);
    const router = version.load().Router();
    router.get('/sessions/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    m.app.use('/api/v1', router);
    return m;
  }

  it('sheds the wrapper of its skipped layer and keeps measuring the same', async () => {
    tracing.express.setConfig({ ignoreLayers: [/^middleware - httpMetricsMiddleware$/] });
    const m = nestedApp();
    assert.deepEqual(wrappedLayers(m.app, 'httpMetricsMiddleware'), [true]);
    for (let i = 0; i < 3; i++) await request(m.app).get(`/api/v1/sessions/${i}`).expect(200);
    assert.deepEqual(wrappedLayers(m.app, 'httpMetricsMiddleware'), [false]);
    const text = await m.scrape();
    assert.equal(text.value('request_count_total', { endpoint: '/api/v1/sessions/:id' }), 3);
    assert.equal(text.value('active_requests', { endpoint: '/api/v1/sessions/:id' }), 0);
    const servers = await tracing.serverSpans();
    assert.deepEqual(
      servers.map((s) => s.name).filter((name) => name !== 'GET /metrics'),
      ['GET /api/v1/sessions/:id', 'GET /api/v1/sessions/:id', 'GET /api/v1/sessions/:id'],
    );
  });

  it('keeps the wrapper, and a layer span per request, when the layer is not skipped', async () => {
    tracing.express.setConfig({});
    const m = nestedApp();
    for (let i = 0; i < 2; i++) await request(m.app).get(`/api/v1/sessions/${i}`).expect(200);
    assert.deepEqual(wrappedLayers(m.app, 'httpMetricsMiddleware'), [true]);
    const layerSpans = (await tracing.spans()).filter(
      (s) => s.name === 'middleware - httpMetricsMiddleware',
    );
    assert.equal(layerSpans.length, 2);
  });
});
