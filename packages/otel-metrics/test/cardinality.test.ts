import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { describeExpress, listen, parsePrometheus } from '@ai-teams/test-utils';
import { httpMetrics, prometheusMetrics } from '../src';
import { providerState } from '../src/http-state';
import {
  assertBounded,
  LABELS,
  metricsApp,
  tenantPaths,
  warningsOf,
  type MetricsApp,
} from './helpers';

const REQUESTS = 20_000;
const CONCURRENCY = 32;

function get(agent: http.Agent, url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

/** `n` requests to one route, each with a new tracking id: `n` request_count label sets. */
async function sendDistinctIds(m: MetricsApp, n: number) {
  m.app.use((req, _res, next) => {
    req.trackingId = String(req.headers['x-id']);
    next();
  });
  m.app.get('/items', (_req, res) => {
    res.send('ok');
  });
  const server = await listen(m.app);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let sent = 0;
  const worker = async () => {
    while (sent < n) await get(agent, `${server.url}/items`, { 'x-id': String(sent++) });
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  agent.destroy();
  await server.close();
  const counts = (await m.scrape()).find('request_count_total');
  return { series: counts.length, total: counts.reduce((sum, s) => sum + s.value, 0) };
}

describeExpress('httpMetrics() cardinality', (createApp, version) => {
  it("takes request_count's limit from the prometheusMetrics() provider, lowered or raised, and loses no count", async () => {
    const cases = [
      { promOptions: { cardinalityLimit: 10 }, series: 10 },
      { promOptions: { cardinalityLimits: { request_count: 450 } }, series: 450 },
    ];
    for (const { promOptions, series } of cases) {
      const m = metricsApp(createApp, { trackingIdLabel: true }, promOptions);
      assert.deepEqual(
        await sendDistinctIds(m, 460),
        { series, total: 460 },
        JSON.stringify(promOptions),
      );
      await m.prom.shutdown();
    }
  });

  it("lowers a requestCountLimit above the provider's limit to it, with a warning naming both", async () => {
    let m!: MetricsApp;
    const warnings = await warningsOf(() => {
      m = metricsApp(
        createApp,
        { trackingIdLabel: true, requestCountLimit: 50 },
        { cardinalityLimit: 10 },
      );
    });
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.code, 'AI_TEAMS_METRICS_REQUEST_COUNT_LIMIT');
    assert.match(
      warnings[0]!.message,
      /option "requestCountLimit" \(50\) is above the provider's cardinality limit for request_count \(10\).*cardinalityLimits: \{ request_count: 50 \}/,
    );
    assert.deepEqual(await sendDistinctIds(m, 40), { series: 10, total: 40 });
    await m.prom.shutdown();

    const prom = prometheusMetrics({ cardinalityLimit: 10 });
    const meterProvider = prom.meterProvider;
    assert.deepEqual(
      await warningsOf(() => httpMetrics({ meterProvider, requestCountLimit: 10 })),
      [],
    );
    await prom.shutdown();
  });

  it(`keeps series bounded over ${REQUESTS} requests to random paths with random ids`, async function () {
    this.timeout(120_000); // real loopback requests on a shared 2-core machine
    const m = metricsApp(
      createApp,
      { trackingIdLabel: true, requestCountLimit: 100 },
      { cardinalityLimit: 100 },
    );
    m.app.use((req, _res, next) => {
      req.trackingId = String(req.headers['x-id']);
      next();
    });
    m.app.get('/api/v1/users/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    const server = await listen(m.app);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let sent = 0;
    const statuses = { 200: 0, 404: 0 } as Record<number, number>;
    const worker = async () => {
      while (sent < REQUESTS) {
        const n = sent++;
        const id = randomBytes(8).toString('hex');
        const path = n % 2 ? `/api/v1/users/${id}` : `/${id}/${n}`;
        const status = await get(agent, server.url + path, { 'x-id': id });
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    agent.destroy();
    await server.close();
    assert.deepEqual(statuses, { 200: REQUESTS / 2, 404: REQUESTS / 2 });

    const text = await m.scrape();
    // Without ids: one series per endpoint (and method/status), whatever the paths were.
    assert.deepEqual(
      text
        .find('request_duration_seconds_count')
        .map((s) => [s.labels.endpoint, s.value])
        .sort(),
      [
        ['/api/v1/users/:id', REQUESTS / 2],
        ['unmatched', REQUESTS / 2],
      ],
    );
    assert.equal(text.find('active_requests').length, 2);
    for (const s of text.find('active_requests')) assert.equal(s.value, 0);
    // With the opt-in id label: the limit holds, and the overflow series keeps the count.
    const counts = text.find('request_count_total');
    assert.equal(counts.length, 100);
    assert.equal(
      counts.reduce((sum, s) => sum + s.value, 0),
      REQUESTS,
    );
    assert.ok(text.value('request_count_total', { otel_metric_overflow: 'true' }) > 19_000);
    assert.ok(!text.samples.some((s) => /^\/[0-9a-f]{16}\//.test(s.labels.endpoint ?? '')));
    await m.prom.shutdown();
  });

  it('counts exactly per endpoint, method and status, and past its bound', async () => {
    const express = version.load();
    const m = metricsApp(createApp, { requestCountLimit: 6 });
    const tenant = express.Router();
    tenant.get('/items', (_req, res) => {
      res.json([]);
    });
    tenant.post('/items', (_req, res) => {
      res.status(201).json({});
    });
    tenant.get('/fail', (_req, res) => {
      res.status(503).end();
    });
    // One router under four mount paths: four endpoints per route.
    m.app.use(
      tenantPaths(4, (i) => `tenant-${i}`),
      tenant,
    );
    const expected = { get: 0, post: 0, fail: 0 };
    for (let i = 0; i < 12; i++) {
      const base = `/t/tenant-${i % 4}`;
      await request(m.app).get(`${base}/items`).expect(200);
      await request(m.app).post(`${base}/items`).expect(201);
      await request(m.app).get(`${base}/fail`).expect(503);
      expected.get++;
      expected.post++;
      expected.fail++;
    }
    const text = await m.scrape();
    const counts = text.find('request_count_total');
    assert.equal(counts.length, 6, 'requestCountLimit series, the last one the overflow');
    assert.equal(
      counts.reduce((sum, s) => sum + s.value, 0),
      36,
    );
    // The first five label sets (tenant 0 and part of tenant 1) keep their exact counts.
    assert.equal(
      text.value('request_count_total', {
        endpoint: '/t/tenant-0/items',
        method: 'GET',
        status_code: '200',
      }),
      3,
    );
    assert.equal(
      text.value('request_count_total', {
        endpoint: '/t/tenant-0/items',
        method: 'POST',
        status_code: '201',
      }),
      3,
    );
    assert.equal(text.value('request_count_total', { otel_metric_overflow: 'true' }), 36 - 15);
    // Durations and errors are recorded for every request, over the bound too.
    const durations = text.find('request_duration_seconds_count');
    assert.equal(
      durations.reduce((sum, s) => sum + s.value, 0),
      36,
    );
    const errors = text.find('request_errors_total');
    assert.equal(
      errors.reduce((sum, s) => sum + s.value, 0),
      expected.fail,
    );
    for (const e of errors) assert.equal(e.labels.status_code, '503');
    await m.prom.shutdown();
  });
  it('keeps the histogram and the error counter within their limits over many scrapes, the first endpoints keeping their own series', async () => {
    const express = version.load();
    const m = metricsApp(createApp, {}, { cardinalityLimit: 8, histogramCardinalityLimit: 4 });
    m.app.get('/r0', (_req, res) => {
      res.status(500).end();
    });
    const tenant = express.Router();
    tenant.get('/x', (_req, res) => {
      res.status(500).end();
    });
    m.app.use(
      tenantPaths(50, (i) => `tenant-${Math.floor(i / 5)}-${i % 5}`),
      tenant,
    ); // a new endpoint per tenant
    let sent = 0;
    for (let round = 0; round < 10; round++) {
      await request(m.app).get('/r0').expect(500);
      for (let k = 0; k < 5; k++) await request(m.app).get(`/t/tenant-${round}-${k}/x`).expect(500);
      sent += 6;
      // The SDK's own limit counts one collection: each scrape let up to the limit of new sets in.
      const text = await m.scrape();
      assertBounded(
        text.find('request_duration_seconds_count'),
        4,
        sent,
        `round ${round}, durations`,
      );
      assertBounded(text.find('request_errors_total'), 8, sent, `round ${round}, errors`);
      // The first endpoint keeps its own series: none of its durations went to the overflow.
      assert.equal(text.value('request_duration_seconds_count', { endpoint: '/r0' }), round + 1);
      assert.equal(text.value('request_errors_total', { endpoint: '/r0' }), round + 1);
    }
    const text = await m.scrape();
    assert.deepEqual(
      text
        .find('request_duration_seconds_count')
        .map((d) => d.labels.endpoint ?? `overflow=${d.labels.otel_metric_overflow}`)
        .sort(),
      ['/r0', '/t/tenant-0-0/x', '/t/tenant-0-1/x', 'overflow=true'],
    );
    await m.prom.shutdown();
  });
  it('keeps state for as many service names as request_count keeps sets, later names counting into the overflow', async () => {
    const prom = prometheusMetrics({ ...LABELS, cardinalityLimit: 10 });
    const meterProvider = prom.meterProvider;
    const app = createApp();
    // One httpMetrics() per tenant, as a multi-tenant app or a test suite's fresh apps make them.
    for (let i = 0; i < 5000; i++) {
      const router = version.load().Router();
      if (i < 30) router.use(httpMetrics({ meterProvider, serviceName: `tenant-${i}` }));
      else httpMetrics({ meterProvider, serviceName: `tenant-${i}` });
      router.get('/x', (_req, res) => {
        res.status(i % 2 ? 200 : 500).end();
      });
      if (i < 30) app.use(`/t${i}`, router);
    }
    const state = providerState(meterProvider, 10, false);
    // Each counted name takes one request_count set at least: 9 of the 10, the overflow aside.
    assert.equal(state.services.size, 9);
    for (let i = 0; i < 30; i++) await request(app).get(`/t${i}/x`);
    app.get('/metrics', prom.handler);
    const text = parsePrometheus((await request(app).get('/metrics').expect(200)).text);
    assertBounded(text.find('request_count_total'), 10, 30, 'request_count');
    assert.equal(text.value('request_count_total', { service_name: 'tenant-0' }), 1);
    assert.equal(text.value('request_count_total', { otel_metric_overflow: 'true' }), 21);
    assertBounded(text.find('request_duration_seconds_count'), 50, 30, 'durations');
    assert.ok(text.find('active_requests').length <= 10);
    for (const a of text.find('active_requests')) assert.equal(a.value, 0);
    assert.equal(state.services.size, 9);
    await prom.shutdown();
  });
  it('reads active_requests back at 0 for the overflow series and for endpoints forgotten while idle', async () => {
    const express = version.load();
    const m = metricsApp(createApp, {}, { cardinalityLimits: { active_requests: 4 } });
    const waiting: (() => void)[] = [];
    const hold = (_req: unknown, res: { send(b: string): void }) => {
      waiting.push(() => res.send('done'));
    };
    const tenant = express.Router();
    tenant.get('/hold', hold);
    tenant.get('/x', (_req, res) => {
      res.send('x');
    });
    const names = ['a', 'b', 'c', 'd', ...Array.from({ length: 1001 }, (_, i) => `n${i}`)];
    m.app.use(
      tenantPaths(names.length, (i) => names[i]!),
      tenant,
    ); // a new endpoint per tenant
    const server = await listen(m.app);
    const held = ['a', 'b', 'c', 'd'].map(
      (t) =>
        new Promise((resolve) =>
          http.get(`${server.url}/t/${t}/hold`, (r) => r.resume().on('end', resolve)),
        ),
    );
    while (waiting.length < 4) await new Promise((r) => setTimeout(r, 5));
    const during = await m.scrape();
    assert.equal(during.value('active_requests', { otel_metric_overflow: 'true' }), 2);
    assert.equal(during.value('active_requests', { endpoint: '/t/a/hold' }), 1);
    for (const answer of waiting) answer();
    await Promise.all(held);
    // Over 1000 endpoints in flight at once make the middleware forget the idle ones.
    for (let i = 0; i < 1001; i++) await request(m.app).get(`/t/n${i}/x`).expect(200);
    const after = await m.scrape();
    for (const a of after.find('active_requests')) {
      assert.equal(a.value, 0, JSON.stringify(a.labels));
    }
    assert.ok(after.find('active_requests').length <= 4);
    await server.close();
    await m.prom.shutdown();
  });
});
