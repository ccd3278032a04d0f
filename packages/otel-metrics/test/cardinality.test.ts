import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { describeExpress, listen } from '@ai-teams/test-utils';
import { metricsApp } from './helpers';

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

describeExpress('httpMetrics() cardinality', (createApp) => {
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
});
