import assert from 'node:assert/strict';
import http from 'node:http';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
  type MetricReader,
} from '@opentelemetry/sdk-metrics';
import request from 'supertest';
import {
  describeExpress,
  listen,
  misplacedMountWarnings,
  parsePrometheus,
} from '@ai-teams/test-utils';
import { MOUNT_ORDER_WINDOW_MS, markServerCut } from '@ai-teams/tracking-id';
import { DURATION_BUCKETS, httpMetrics, prometheusMetrics } from '../src';
import { LABELS, metricsApp, warningsOf } from './helpers';

/** The `service_name` of the one request_count data point a reader collects. */
async function serviceNameOf(reader: MetricReader): Promise<unknown> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics[0]!.metrics.find(
    (m) => m.descriptor.name === 'request_count',
  )!;
  return metric.dataPoints[0]!.attributes.service_name;
}

const SVC = { service_name: 'svc' };

describeExpress('httpMetrics()', (createApp, version) => {
  const express = () => version.load();

  it('exposes request_count_total, request_duration_seconds and active_requests with their labels', async () => {
    const m = metricsApp(createApp);
    m.app.get('/api/v1/sessions/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    await request(m.app).get('/api/v1/sessions/1').expect(200);
    await request(m.app).get('/api/v1/sessions/2').expect(200);
    const text = await m.scrape();

    assert.equal(text.types.request_count_total, 'counter');
    assert.deepEqual(text.find('request_count_total')[0]!.labels, {
      service_name: 'svc',
      endpoint: '/api/v1/sessions/:id',
      method: 'GET',
      status_code: '200',
      api_version: 'v1',
      environment: 'test',
      project: 'proj',
      service: 'svc',
    });
    assert.equal(text.value('request_count_total', { endpoint: '/api/v1/sessions/:id' }), 2);

    assert.equal(text.types.request_duration_seconds, 'histogram');
    assert.equal(text.units.request_duration_seconds, 's');
    const buckets = text.find('request_duration_seconds_bucket');
    assert.deepEqual(
      buckets.map((b) => b.labels.le),
      [...DURATION_BUCKETS.map(String), '+Inf'],
    );
    assert.deepEqual(Object.keys(buckets[0]!.labels).sort(), [
      'endpoint',
      'environment',
      'le',
      'method',
      'project',
      'service',
      'service_name',
    ]);
    assert.equal(text.value('request_duration_seconds_count', SVC), 2);
    assert.equal(buckets.at(-1)!.value, 2);
    assert.ok(text.value('request_duration_seconds_sum', SVC) > 0);

    assert.equal(text.types.active_requests, 'gauge');
    assert.deepEqual(
      text.find('active_requests').map((s) => [s.labels.endpoint, s.value]),
      [
        ['unmatched', 0],
        ['/api/v1/sessions/:id', 0],
      ],
    );
    assert.deepEqual(text.find('request_errors_total'), [], 'no error series without errors');
    await m.prom.shutdown();
  });

  it('has every duration in the next collection of every reader, past its batches too', async () => {
    const reader = (temporality: AggregationTemporality) =>
      new PeriodicExportingMetricReader({
        exporter: new InMemoryMetricExporter(temporality),
        exportIntervalMillis: 3_600_000,
      });
    const cumulative = reader(AggregationTemporality.CUMULATIVE);
    const delta = reader(AggregationTemporality.DELTA);
    const meterProvider = new MeterProvider({ readers: [cumulative, delta] });
    // Each request takes 10 ms by this clock: start and end are consecutive calls.
    let clock = 0;
    const app = createApp();
    app.use(httpMetrics({ meterProvider, serviceName: 'svc', now: () => (clock += 10) }));
    app.get('/items/:id', (_req, res) => {
      res.send('ok');
    });
    const durations = async (r: MetricReader) => {
      const { resourceMetrics } = await r.collect();
      const metric = resourceMetrics.scopeMetrics[0]!.metrics.find(
        (m) => m.descriptor.name === 'request_duration_seconds',
      ) as HistogramMetricData;
      const point = metric.dataPoints[0]!;
      assert.equal(point.attributes.endpoint, '/items/:id');
      return { count: point.value.count, sum: point.value.sum!, buckets: point.value.buckets };
    };
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) await request(app).get(`/items/${i}`).expect(200);
    };

    await send(75); // two whole batches of 32 and 11 more
    const first = await durations(cumulative);
    assert.equal(first.count, 75);
    assert.ok(Math.abs(first.sum - 0.75) < 1e-9, `sum ${first.sum}`);
    assert.equal(first.buckets.counts[1], 75, 'all in the (0.005, 0.01] bucket');
    assert.equal((await durations(delta)).count, 75);

    await send(5);
    assert.equal((await durations(cumulative)).count, 80);
    assert.equal((await durations(delta)).count, 5, 'the delta reader sees only the new ones');
    await meterProvider.shutdown();
  });

  it('builds the endpoint from nested router mounts and route params', async () => {
    const m = metricsApp(createApp);
    const api = express().Router();
    const sessions = express().Router();
    sessions.get('/:id/steps/:step', (_req, res) => {
      res.send('ok');
    });
    sessions.get('/', (_req, res) => {
      res.send('list');
    });
    api.use('/sessions', sessions);
    m.app.use('/api/v2', api);
    await request(m.app).get('/api/v2/sessions/abc/steps/7').expect(200);
    await request(m.app).get('/api/v2/sessions/').expect(200);
    const text = await m.scrape();
    assert.deepEqual(
      text.find('request_count_total').map((s) => [s.labels.endpoint, s.labels.api_version]),
      [
        ['/api/v2/sessions/:id/steps/:step', 'v2'],
        ['/api/v2/sessions', 'v2'],
      ],
    );
    await m.prom.shutdown();
  });

  it('follows a mounted sub-application and an error raised inside it', async () => {
    const m = metricsApp(createApp);
    const sub = createApp();
    sub.set('env', 'test');
    sub.get('/orders/:id', (_req, res) => {
      res.send('order');
    });
    sub.get('/fail/:id', () => {
      throw new Error('inside');
    });
    m.app.use('/shop/v3', sub);
    await request(m.app).get('/shop/v3/orders/9').expect(200);
    await request(m.app).get('/shop/v3/fail/9').expect(500);
    const text = await m.scrape();
    assert.equal(text.value('request_count_total', { endpoint: '/shop/v3/orders/:id' }), 1);
    assert.equal(text.value('request_errors_total', { endpoint: '/shop/v3/fail/:id' }), 1);
    await m.prom.shutdown();
  });

  it('names a mount path parameter by its template on Express 5, by its value on Express 4', async () => {
    const m = metricsApp(createApp);
    const users = express().Router({ mergeParams: true });
    users.get('/:id', (_req, res) => {
      res.send('user');
    });
    users.get('/:id/fail', () => {
      throw new Error('inside a mount with a parameter');
    });
    const tenant = express().Router({ mergeParams: true });
    tenant.use('/projects/:project/users', users);
    tenant.get('/info', (_req, res) => {
      res.send('info');
    });
    m.app.use('/t/:tenant/v1', tenant);
    m.app.use(/^\/r\/(\d+)/, tenant);
    m.app.use(
      '/API',
      express()
        .Router()
        .get('/items/:id', (_req, res) => res.send('item')),
    );
    // Matched under the mount, answered after it: the mount is left and forgotten.
    m.app.get('/t/:tenant/v1/other', (_req, res) => {
      res.send('other');
    });
    m.app.get('/first', (_req, res) => {
      res.send('first');
    });
    // The accessors are installed on the first request of an Express copy: later ones are
    // named fully.
    await request(m.app).get('/first').expect(200);
    await request(m.app).get('/t/acme/v1/projects/p1/users/7').expect(200);
    await request(m.app).get('/t/b%20c/v1/projects/p2/users/8').expect(200);
    await request(m.app).get('/t/acme/v1/projects/p1/users/9/fail').expect(500);
    await request(m.app).get('/t/acme/v1/info').expect(200);
    await request(m.app).get('/t/acme/v1/other').expect(200);
    await request(m.app).get('/r/42/info').expect(200);
    await request(m.app).get('/api/items/1').expect(200);
    await request(m.app).get('/Api/items/2').expect(200);
    const text = await m.scrape();
    const counts = Object.fromEntries(
      text
        .find('request_count_total')
        .map((s) => [`${s.labels.endpoint} ${s.labels.status_code}`, s.value]),
    );
    if (version.major === 5) {
      assert.deepEqual(counts, {
        '/first 200': 1,
        '/t/:tenant/v1/projects/:project/users/:id 200': 2,
        '/t/:tenant/v1/projects/:project/users/:id/fail 500': 1,
        '/t/:tenant/v1/info 200': 1,
        '/t/:tenant/v1/other 200': 1,
        '/regex(^\\/r\\/(\\d+))/info 200': 1,
        '/API/items/:id 200': 2,
      });
      assert.equal(
        text.value('request_count_total', { endpoint: '/t/:tenant/v1/info', api_version: 'v1' }),
        1,
      );
    } else {
      // Express 4 sets req.baseUrl before a request has Express's prototype: its matched text.
      assert.deepEqual(counts, {
        '/first 200': 1,
        '/t/acme/v1/projects/p1/users/:id 200': 1,
        '/t/b%20c/v1/projects/p2/users/:id 200': 1,
        '/t/acme/v1/projects/p1/users/:id/fail 500': 1,
        '/t/acme/v1/info 200': 1,
        '/t/:tenant/v1/other 200': 1,
        '/r/42/info 200': 1,
        '/api/items/:id 200': 1,
        '/Api/items/:id 200': 1,
      });
    }
    await m.prom.shutdown();
  });

  it('reports a regex route by its pattern and an unversioned route as api_version none', async () => {
    const m = metricsApp(createApp);
    m.app.get(/^\/files\/(\d+)$/, (_req, res) => {
      res.send('file');
    });
    await request(m.app).get('/files/123').expect(200);
    await request(m.app).get('/files/456').expect(200);
    const text = await m.scrape();
    const [sample, ...rest] = text.find('request_count_total');
    assert.equal(rest.length, 0);
    assert.equal(sample!.labels.endpoint, 'regex(^\\/files\\/(\\d+)$)');
    assert.equal(sample!.labels.api_version, 'none');
    assert.equal(sample!.value, 2);
    await m.prom.shutdown();
  });

  it('records 404s under endpoint "unmatched", never the raw path', async () => {
    const m = metricsApp(createApp);
    await request(m.app).get('/no/such/path/1').expect(404);
    await request(m.app).post('/other/2').expect(404);
    const text = await m.scrape();
    assert.deepEqual(
      text.find('request_count_total').map((s) => [s.labels.endpoint, s.labels.method, s.value]),
      [
        ['unmatched', 'GET', 1],
        ['unmatched', 'POST', 1],
      ],
    );
    assert.ok(!text.samples.some((s) => /no\/such|other/.test(JSON.stringify(s.labels))));
    await m.prom.shutdown();
  });

  it('holds automatic OPTIONS answers and middleware-served files under "unmatched" too: 404s are its status_code="404"', async () => {
    const m = metricsApp(createApp);
    // What express.static or a CORS preflight answer looks like here: no route matched.
    m.app.use((req, res, next) => {
      if (req.path === '/robots.txt') res.type('text/plain').send('User-agent: *');
      else next();
    });
    m.app.get('/items/:id', (_req, res) => {
      res.send('item');
    });
    await request(m.app).get('/robots.txt').expect(200);
    await request(m.app).options('/items/1').expect(200);
    await request(m.app).get('/missing').expect(404);
    await request(m.app).get('/missing/too').expect(404);
    const text = await m.scrape();
    const unmatched = text.find('request_count_total', { endpoint: 'unmatched' });
    assert.deepEqual(
      unmatched.map((s) => [s.labels.method, s.labels.status_code, s.value]),
      [
        ['GET', '200', 1],
        ['OPTIONS', '200', 1],
        ['GET', '404', 2],
      ],
    );
    // docs/metrics.md's "404 traffic" query selects exactly these.
    assert.deepEqual(
      text
        .find('request_count_total', { endpoint: 'unmatched', status_code: '404' })
        .map((s) => s.value),
      [2],
    );
    await m.prom.shutdown();
  });

  it('labels HEAD with the GET route and answers OPTIONS as unmatched', async () => {
    const m = metricsApp(createApp);
    m.app.get('/items/:id', (_req, res) => {
      res.send('item');
    });
    await request(m.app).head('/items/1').expect(200);
    await request(m.app).options('/items/1').expect(200);
    const text = await m.scrape();
    assert.equal(text.value('request_count_total', { method: 'HEAD', endpoint: '/items/:id' }), 1);
    assert.equal(
      text.value('request_count_total', { method: 'OPTIONS', endpoint: 'unmatched' }),
      1,
    );
    await m.prom.shutdown();
  });

  it('counts a throwing handler and next(err) as errors under their route', async () => {
    const m = metricsApp(createApp);
    const router = express().Router();
    router.get('/boom/:id', () => {
      throw new Error('boom');
    });
    router.get('/next/:id', (_req, _res, next) => next(new Error('passed')));
    router.get('/unavailable', (_req, res) => {
      res.status(503).send('later');
    });
    router.get('/bad', (_req, res) => {
      res.status(400).send('bad');
    });
    m.app.use('/api/v1', router);
    await request(m.app).get('/api/v1/boom/1').expect(500);
    await request(m.app).get('/api/v1/next/2').expect(500);
    await request(m.app).get('/api/v1/unavailable').expect(503);
    await request(m.app).get('/api/v1/bad').expect(400);
    const text = await m.scrape();
    assert.equal(text.types.request_errors_total, 'counter');
    for (const endpoint of ['/api/v1/boom/:id', '/api/v1/next/:id']) {
      const [sample, ...more] = text.find('request_errors_total', { endpoint });
      assert.equal(more.length, 0);
      assert.equal(sample!.value, 1);
      assert.deepEqual(sample!.labels, {
        service_name: 'svc',
        endpoint,
        method: 'GET',
        error_type: '500',
        status_code: '500',
        environment: 'test',
        project: 'proj',
        service: 'svc',
      });
    }
    assert.equal(
      text.value('request_errors_total', { endpoint: '/api/v1/unavailable', error_type: '503' }),
      1,
    );
    assert.equal(text.find('request_errors_total', { endpoint: '/api/v1/bad' }).length, 0);
    assert.equal(
      text.value('request_count_total', { endpoint: '/api/v1/bad', status_code: '400' }),
      1,
    );
    for (const s of text.find('active_requests')) assert.equal(s.value, 0, s.labels.endpoint);
    await m.prom.shutdown();
  });

  it('counts an aborted request once, as status 499, and active_requests returns to 0', async () => {
    const m = metricsApp(createApp);
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    let closed!: () => void;
    const closing = new Promise<void>((resolve) => (closed = resolve));
    const ours = (res: { listeners(e: string): unknown[] }) =>
      res.listeners('close').filter((f) => (f as () => void).name === 'onClose').length;
    let listening = -1;
    let removed = -1;
    m.app.get('/slow/:id', (_req, res) => {
      listening = ours(res);
      res.on('close', () => {
        removed = listening - ours(res);
        closed();
      });
      arrived();
    });
    const server = await listen(m.app);
    const req = http.get(`${server.url}/slow/1`);
    req.on('error', () => undefined);
    await arrival;
    const during = await m.scrape();
    assert.equal(during.value('active_requests', { endpoint: '/slow/:id' }), 1);
    req.destroy();
    await closing;
    const after = await m.scrape();
    assert.equal(after.value('active_requests', { endpoint: '/slow/:id' }), 0);
    assert.equal(after.value('active_requests', { endpoint: 'unmatched' }), 0);
    assert.equal(
      after.value('request_count_total', { endpoint: '/slow/:id', status_code: '499' }),
      1,
    );
    assert.equal(after.find('request_count_total', { endpoint: '/slow/:id' }).length, 1);
    assert.equal(after.find('request_errors_total').length, 0);
    assert.equal(removed, 1, 'the close listener was there, and was removed');
    await server.close();
    await m.prom.shutdown();
  });

  it('counts a request whose client left while a middleware before it waited, and active_requests returns to 0', async () => {
    const prom = prometheusMetrics(LABELS);
    const app = createApp();
    let gone!: () => void;
    const left = new Promise<void>((resolve) => (gone = resolve));
    app.use((req, res, next) => {
      if (req.path === '/metrics') return next();
      // An auth or cache lookup that outlasts the client.
      const wait = () => (res.closed ? (gone(), next()) : setTimeout(wait, 5));
      wait();
    });
    app.use(
      httpMetrics({ meterProvider: prom.meterProvider, serviceName: 'svc', ignore: ['/metrics'] }),
    );
    app.get('/slow/:id', (_req, res) => {
      res.send('too late');
    });
    app.get('/metrics', prom.handler);
    const server = await listen(app);
    const req = http.get(`${server.url}/slow/1`);
    req.on('error', () => undefined);
    setTimeout(() => req.destroy(), 20);
    await left;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const text = parsePrometheus((await request(app).get('/metrics')).text);
    assert.equal(text.value('request_count_total', { status_code: '499' }), 1);
    for (const a of text.find('active_requests')) assert.equal(a.value, 0, a.labels.endpoint);
    await server.close();
    await prom.shutdown();
  });

  it('counts a streamed response the client drops after the headers as 499, a finished one with its status', async () => {
    const m = metricsApp(createApp);
    let closed!: () => void;
    const closing = new Promise<void>((resolve) => (closed = resolve));
    m.app.get('/stream/:id', (req, res) => {
      res.on('close', closed);
      res.write('first chunk');
      // The whole body only for /stream/done, after the client has read the first chunk.
      if (req.params.id === 'done') setTimeout(() => res.end('last chunk'), 10);
    });
    const server = await listen(m.app);
    await new Promise<void>((resolve) => {
      const req = http.get(`${server.url}/stream/dropped`, (res) => {
        assert.equal(res.statusCode, 200, 'the headers (and a 200) reached the client');
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
    });
    await closing;
    const done = await fetch(`${server.url}/stream/done`);
    assert.equal(await done.text(), 'first chunklast chunk');
    await server.close();
    const text = await m.scrape();
    assert.deepEqual(
      text
        .find('request_count_total', { endpoint: '/stream/:id' })
        .map((s) => [s.labels.status_code, s.value]),
      [
        ['499', 1],
        ['200', 1],
      ],
    );
    assert.equal(text.find('request_errors_total').length, 0, '499 is not an error');
    assert.equal(text.value('active_requests', { endpoint: '/stream/:id' }), 0);
    await m.prom.shutdown();
  });

  it('counts a Server-Sent Events stream in active_requests while open, and with its 200 once its client closes it', async () => {
    const m = metricsApp(createApp);
    let closed!: () => void;
    const closing = new Promise<void>((resolve) => (closed = resolve));
    m.app.get('/events/:topic', (_req, res) => {
      res.on('close', closed);
      res.set('Content-Type', 'text/event-stream').set('Cache-Control', 'no-cache');
      res.write('data: first\n\n');
    });
    const server = await listen(m.app);
    const client = http.get(`${server.url}/events/news`);
    client.on('error', () => undefined);
    await new Promise<void>((resolve) => {
      client.once('response', (res) => res.once('data', () => resolve()));
    });
    const open = await m.scrape();
    assert.equal(open.value('active_requests', { endpoint: '/events/:topic' }), 1);
    client.destroy(); // the EventSource closed
    await closing;
    await server.close();
    const text = await m.scrape();
    assert.deepEqual(
      text
        .find('request_count_total', { endpoint: '/events/:topic' })
        .map((s) => [s.labels.status_code, s.value]),
      [['200', 1]],
    );
    assert.equal(text.value('active_requests', { endpoint: '/events/:topic' }), 0);
    await m.prom.shutdown();
  });

  it('counts a response the app fails after its headers as a 500 and an error, not as the client leaving', async () => {
    const m = metricsApp(createApp);
    let closed!: () => void;
    const closing = new Promise<void>((resolve) => (closed = resolve));
    m.app.get('/report/:id', (_req, res, next) => {
      res.on('close', closed);
      res.write('first rows');
      setTimeout(() => next(new Error('database went away')), 10);
    });
    // As errorHandler() of error-span-events does; Express then cuts the connection.
    m.app.use(((err, _req, res, next) => {
      markServerCut(res);
      next(err);
    }) as import('express').ErrorRequestHandler);
    const server = await listen(m.app);
    const got = await new Promise<string>((resolve) => {
      const req = http.get(`${server.url}/report/1`, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += String(c)));
        res.on('error', () => resolve(`cut after "${body}"`));
        res.on('end', () => resolve(`ended after "${body}"`));
      });
      req.on('error', () => resolve('request error'));
    });
    await closing;
    await server.close();
    assert.equal(got, 'cut after "first rows"', 'the client got a 200 cut short');
    const text = await m.scrape();
    assert.deepEqual(
      text
        .find('request_count_total', { endpoint: '/report/:id' })
        .map((s) => [s.labels.status_code, s.value]),
      [['500', 1]],
    );
    assert.equal(
      text.value('request_errors_total', { endpoint: '/report/:id', status_code: '500' }),
      1,
    );
    await m.prom.shutdown();
  });

  it('keeps the defaults of options passed as undefined', async () => {
    const m = metricsApp(createApp, {
      ignore: undefined,
      trackingIdLabel: undefined,
      now: undefined,
    });
    m.app.get('/api/v1/sessions/:id', (_req, res) => {
      res.end();
    });
    await request(m.app).get('/api/v1/sessions/1').expect(200);
    const text = await m.scrape();
    assert.equal(text.value('request_count_total', { endpoint: '/api/v1/sessions/:id' }), 1);
  });

  it('rejects an ignore option that is not an array, naming the option', () => {
    for (const ignore of ['/metrics', /^\/health/, [1]]) {
      assert.throws(() => httpMetrics({ ignore: ignore as never }), {
        name: 'TypeError',
        message: /httpMetrics\(\): option "ignore" must be an array of path strings or RegExps/,
      });
    }
  });

  describe('service_name by default', () => {
    let saved: string | undefined;
    beforeEach(() => {
      saved = process.env.OTEL_SERVICE_NAME;
      process.env.OTEL_SERVICE_NAME = 'from-env';
    });
    afterEach(() => {
      if (saved === undefined) delete process.env.OTEL_SERVICE_NAME;
      else process.env.OTEL_SERVICE_NAME = saved;
    });

    it('is the service of the prometheusMetrics() provider, given or global, like the service label', async () => {
      const given = metricsApp(createApp, { serviceName: undefined }, { serviceName: 'orders' });
      given.app.get('/x', (_req, res) => {
        res.send('x');
      });
      await request(given.app).get('/x').expect(200);
      const [sample] = (await given.scrape()).find('request_count_total');
      assert.equal(sample!.labels.service_name, 'orders');
      assert.equal(sample!.labels.service, 'orders');
      await given.prom.shutdown();

      const global = prometheusMetrics({ serviceName: 'billing', global: true });
      try {
        const app = createApp();
        app.use(httpMetrics({ ignore: ['/metrics'] }));
        app.get('/metrics', global.handler);
        app.get('/x', (_req, res) => {
          res.send('x');
        });
        await request(app).get('/x').expect(200);
        const text = parsePrometheus((await request(app).get('/metrics').expect(200)).text);
        assert.equal(text.find('request_count_total')[0]!.labels.service_name, 'billing');
      } finally {
        await global.shutdown();
      }
    });

    it('is the option when given, and OTEL_SERVICE_NAME on a provider of unknown service', async () => {
      const prom = prometheusMetrics({ serviceName: 'orders' });
      const reader = new PeriodicExportingMetricReader({
        exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
        exportIntervalMillis: 3_600_000,
      });
      const plain = new MeterProvider({ readers: [reader] });
      const app = createApp();
      app.get('/named', httpMetrics({ meterProvider: prom.meterProvider, serviceName: 'mine' }));
      app.get('/plain', httpMetrics({ meterProvider: plain }));
      app.get('/metrics', prom.handler);
      app.get(['/named', '/plain'], (_req, res) => {
        res.send('ok');
      });
      await request(app).get('/named').expect(200);
      await request(app).get('/plain').expect(200);
      const text = parsePrometheus((await request(app).get('/metrics').expect(200)).text);
      assert.equal(text.find('request_count_total')[0]!.labels.service_name, 'mine');
      assert.equal(await serviceNameOf(reader), 'from-env');
      await plain.shutdown();
      await prom.shutdown();
    });
  });

  it('skips ignored paths and strings or patterns', async () => {
    const m = metricsApp(createApp, { ignore: ['/metrics', '/health', /^\/internal\//] });
    m.app.get('/health', (_req, res) => {
      res.send('ok');
    });
    m.app.get('/internal/:x', (_req, res) => {
      res.send('ok');
    });
    m.app.get('/work', (_req, res) => {
      res.send('ok');
    });
    await request(m.app).get('/health').expect(200);
    await request(m.app).get('/internal/a').expect(200);
    await request(m.app).get('/work').expect(200);
    const text = await m.scrape();
    assert.deepEqual(
      text.find('request_count_total').map((s) => s.labels.endpoint),
      ['/work'],
    );
    await m.prom.shutdown();
  });

  it('knows its endpoint when mounted on the route itself', async () => {
    const prom = prometheusMetrics({ serviceName: 'svc' });
    const app = createApp();
    app.get('/only/:id', httpMetrics({ meterProvider: prom.meterProvider }), (_req, res) => {
      res.send('ok');
    });
    app.get('/metrics', prom.handler);
    await request(app).get('/only/3').expect(200);
    const text = parsePrometheus((await request(app).get('/metrics')).text);
    assert.equal(text.value('request_count_total', { endpoint: '/only/:id' }), 1);
    assert.equal(text.find('active_requests', { endpoint: 'unmatched' }).length, 0);
    await prom.shutdown();
  });

  it('adds tracking_id and user_id labels only when asked to', async () => {
    const m = metricsApp(createApp, {
      trackingIdLabel: true,
      userIdLabel: (req) => req.get('x-user'),
    });
    m.app.use((req, _res, next) => {
      req.trackingId = 'a'.repeat(32);
      next();
    });
    m.app.get('/me', (_req, res) => {
      res.send('me');
    });
    await request(m.app).get('/me').set('x-user', 'u-1').expect(200);
    const text = await m.scrape();
    const [sample] = text.find('request_count_total');
    assert.equal(sample!.labels.tracking_id, 'a'.repeat(32));
    assert.equal(sample!.labels.user_id, 'u-1');
    assert.equal(text.find('request_duration_seconds_count')[0]!.labels.user_id, undefined);
    await m.prom.shutdown();
  });

  it('counts a request whose userIdLabel throws as user_id "none", with one warning, and cuts long ids', async () => {
    // The callback runs in the response's close listener: a throw there was uncaught.
    const m = metricsApp(createApp, { userIdLabel: (req) => req.get('x-user')!.toLowerCase() });
    m.app.get('/me', (_req, res) => {
      res.send('me');
    });
    const warnings = await warningsOf(
      async () => {
        await request(m.app).get('/me').expect(200); // no x-user: the callback throws
        await request(m.app).get('/me').expect(200);
        await request(m.app).get('/me').set('x-user', 'U-'.padEnd(5000, 'X')).expect(200);
      },
      { code: 'AI_TEAMS_METRICS_USER_ID_LABEL' },
    );
    const text = await m.scrape();
    assert.equal(text.value('request_count_total', { user_id: 'none' }), 2);
    assert.equal(text.value('request_count_total', { user_id: 'u-'.padEnd(128, 'x') }), 1);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!.message,
      /^httpMetrics\(\): option "userIdLabel" threw \(Cannot read/,
    );
    await m.prom.shutdown();
  });

  it('warns once (AI_TEAMS_MOUNT_ORDER) when mounted after every route, which it then never measures', async () => {
    const prom = prometheusMetrics(LABELS);
    const app = createApp();
    app.get('/metrics', prom.handler);
    app.get('/api/v1/sessions/:id', (_req, res) => {
      res.json({ ok: true });
    });
    app.use(httpMetrics({ meterProvider: prom.meterProvider }));
    const { statuses, warnings: order } = await misplacedMountWarnings(
      app,
      '/api/v1/sessions/1',
      MOUNT_ORDER_WINDOW_MS,
    );
    assert.deepEqual(statuses, [200, 404, 404]);
    assert.equal(order.length, 1);
    assert.match(
      order[0]!.message,
      /^httpMetrics\(\) is mounted after every route .* no request metrics/,
    );
    const text = parsePrometheus((await request(app).get('/metrics').expect(200)).text);
    const counted = text.find('request_count_total').map((s) => [s.labels.endpoint, s.value]);
    assert.deepEqual(counted, [['unmatched', 2]], 'the symptom: only the unmatched requests');
    await prom.shutdown();
  });
});
