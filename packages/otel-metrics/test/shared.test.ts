import assert from 'node:assert/strict';
import http from 'node:http';
import type { Express } from 'express';
import request from 'supertest';
import { describeExpress, listen, parsePrometheus, type PromText } from '@ai-teams/test-utils';
import { httpMetrics, prometheusMetrics, type HttpMetricsOptions } from '../src';
import type { PrometheusMetrics, PrometheusMetricsOptions } from '../src';
import { LABELS } from './helpers';

interface TwoApps {
  a: Express;
  b: Express;
  prom: PrometheusMetrics;
  scrape(): Promise<PromText>;
}

/** Two apps in one process with httpMetrics() each, on one prometheusMetrics() provider. */
function twoApps(
  createApp: () => Express,
  a: HttpMetricsOptions = {},
  b: HttpMetricsOptions = {},
  promOptions: PrometheusMetricsOptions = {},
): TwoApps {
  const prom = prometheusMetrics({ ...LABELS, ...promOptions });
  const app = (options: HttpMetricsOptions) => {
    const created = createApp();
    created.set('env', 'test');
    created.use(
      httpMetrics({ meterProvider: prom.meterProvider, ignore: ['/metrics'], ...options }),
    );
    created.get('/metrics', prom.handler);
    return created;
  };
  const apps = { a: app(a), b: app(b) };
  return {
    ...apps,
    prom,
    scrape: async () => parsePrometheus((await request(apps.a).get('/metrics').expect(200)).text),
  };
}

function ok(app: Express, path: string) {
  app.get(path, (_req, res) => {
    res.send('ok');
  });
}

async function send(app: Express, path: string, n: number, status = 200) {
  for (let i = 0; i < n; i++) await request(app).get(path).expect(status);
}

describeExpress('several httpMetrics() on one provider', (createApp, version) => {
  it('adds up the request_count of two apps: 8, then 12', async () => {
    const m = twoApps(createApp);
    ok(m.a, '/health');
    ok(m.b, '/health');
    await send(m.a, '/health', 5);
    await send(m.b, '/health', 3);
    let text = await m.scrape();
    assert.equal(text.value('request_count_total', { endpoint: '/health' }), 8);
    assert.equal(text.value('request_duration_seconds_count', { endpoint: '/health' }), 8);

    await send(m.b, '/health', 4);
    text = await m.scrape();
    assert.equal(text.value('request_count_total', { endpoint: '/health' }), 12);
    assert.equal(text.value('request_duration_seconds_count', { endpoint: '/health' }), 12);
    await m.prom.shutdown();
  });

  it('counts a request once per service_name when httpMetrics() is on the app and on its sub-routers', async () => {
    const express = version.load();
    const prom = prometheusMetrics(LABELS);
    const options = { meterProvider: prom.meterProvider, serviceName: 'svc' };
    const app = createApp();
    app.set('env', 'test');
    app.use(httpMetrics({ ...options, ignore: ['/metrics'] }));
    app.get('/metrics', prom.handler);
    const users = express.Router();
    users.use(httpMetrics(options));
    users.get('/:id', (_req, res) => {
      res.send('user');
    });
    const orders = express.Router();
    orders.use(httpMetrics(options));
    orders.get('/:id', (_req, res) => {
      res.send('order');
    });
    orders.get('/fail/:id', (_req, res) => {
      res.status(503).send('later');
    });
    // Of another service: its requests are counted under both.
    const admin = express.Router();
    admin.use(httpMetrics({ ...options, serviceName: 'admin' }));
    admin.get('/:id', (_req, res) => {
      res.send('admin');
    });
    app.use('/users', users);
    app.use('/orders', orders);
    app.use('/admin', admin);

    await send(app, '/users/1', 5);
    await send(app, '/orders/1', 3);
    await send(app, '/orders/fail/1', 1, 503);
    await send(app, '/admin/1', 2);
    const text = parsePrometheus((await request(app).get('/metrics').expect(200)).text);
    const counts = text.find('request_count_total');
    assert.deepEqual(
      counts.map((s) => [s.labels.service_name, s.labels.endpoint, s.value]),
      [
        ['svc', '/users/:id', 5],
        ['svc', '/orders/:id', 3],
        ['svc', '/orders/fail/:id', 1],
        ['svc', '/admin/:id', 2],
        ['admin', '/admin/:id', 2],
      ],
    );
    for (const s of counts) {
      const [service_name, endpoint] = [s.labels.service_name!, s.labels.endpoint!];
      assert.equal(
        text.value('request_duration_seconds_count', { service_name, endpoint }),
        s.value,
        `${service_name} ${endpoint}`,
      );
    }
    assert.equal(text.value('request_errors_total', { endpoint: '/orders/fail/:id' }), 1);
    for (const s of text.find('active_requests')) assert.equal(s.value, 0, s.labels.endpoint);
    await prom.shutdown();
  });

  it('reads active_requests 1 while a request is in flight on one app and the other is idle, then 0', async () => {
    const m = twoApps(createApp);
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    let release!: () => void;
    m.a.get('/slow', (_req, res) => {
      release = () => res.send('late');
      arrived();
    });
    ok(m.b, '/slow');
    await send(m.b, '/slow', 1); // app B has seen /slow: it has a series there, at 0
    const server = await listen(m.a);
    const response = new Promise<number>((resolve, reject) => {
      http
        .get(`${server.url}/slow`, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject);
    });
    await arrival;
    const during = await m.scrape();
    assert.equal(during.value('active_requests', { endpoint: '/slow' }), 1);
    release();
    assert.equal(await response, 200);
    const after = await m.scrape();
    assert.equal(after.value('active_requests', { endpoint: '/slow' }), 0);
    assert.equal(after.value('request_count_total', { endpoint: '/slow' }), 2);
    await server.close();
    await m.prom.shutdown();
  });

  it('keeps the series of each serviceName apart and adds up those of the same one', async () => {
    const m = twoApps(createApp, { serviceName: 'orders' }, { serviceName: 'billing' });
    // A third app, of the same service as the first.
    const c = createApp();
    c.use(httpMetrics({ meterProvider: m.prom.meterProvider, serviceName: 'orders' }));
    for (const app of [m.a, m.b, c]) ok(app, '/health');
    await send(m.a, '/health', 5);
    await send(m.b, '/health', 3);
    await send(c, '/health', 2);
    const text = await m.scrape();
    const byService = (name: string) =>
      text
        .find(name, { endpoint: '/health' })
        .map((s) => [s.labels.service_name, s.value])
        .sort();
    const expected = [
      ['billing', 3],
      ['orders', 7],
    ];
    assert.deepEqual(byService('request_count_total'), expected);
    assert.deepEqual(byService('request_duration_seconds_count'), expected);
    assert.deepEqual(byService('active_requests'), [
      ['billing', 0],
      ['orders', 0],
    ]);
    await m.prom.shutdown();
  });

  it('adds up on the global provider, without a meterProvider option', async () => {
    const global = prometheusMetrics({ ...LABELS, global: true });
    try {
      const apps = [createApp(), createApp()];
      for (const app of apps) {
        app.use(httpMetrics({ ignore: ['/metrics'] }));
        app.get('/metrics', global.handler);
        ok(app, '/health');
      }
      await send(apps[0]!, '/health', 5);
      await send(apps[1]!, '/health', 3);
      const text = parsePrometheus((await request(apps[1]!).get('/metrics').expect(200)).text);
      assert.equal(text.value('request_count_total', { endpoint: '/health' }), 8);
      assert.equal(text.value('request_duration_seconds_count', { endpoint: '/health' }), 8);
    } finally {
      await global.shutdown();
    }
  });

  it('applies the smallest requestCountLimit given to any of them, and loses no count', async () => {
    const m = twoApps(
      createApp,
      { trackingIdLabel: true, requestCountLimit: 3 },
      { trackingIdLabel: true },
    );
    for (const app of [m.a, m.b]) {
      app.use((req, _res, next) => {
        req.trackingId = String(req.headers['x-id']);
        next();
      });
      ok(app, '/items');
    }
    for (let i = 0; i < 5; i++) {
      await request(m.a).get('/items').set('x-id', `a${i}`).expect(200);
      await request(m.b).get('/items').set('x-id', `b${i}`).expect(200);
    }
    const counts = (await m.scrape()).find('request_count_total');
    assert.equal(counts.length, 3, 'two label sets and the overflow');
    assert.equal(
      counts.reduce((sum, s) => sum + s.value, 0),
      10,
    );
    assert.deepEqual(
      counts.map((s) => [s.labels.tracking_id ?? s.labels.otel_metric_overflow, s.value]),
      [
        ['a0', 1],
        ['b0', 1],
        ['true', 8],
      ],
    );
    await m.prom.shutdown();
  });
});
