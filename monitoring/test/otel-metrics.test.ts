import { strict as assert } from 'node:assert';
import { businessMetrics, httpMetrics, prometheusMetrics } from '@ai-teams/otel-metrics';
import { parsePrometheus } from '@ai-teams/test-utils';
import express from 'express';
import request from 'supertest';
import { applicationSeries } from './metrics';

// The catalogue the dashboards and alerts are checked against (test/metrics.ts) must be what
// @ai-teams/otel-metrics really exposes: drive every instrument once and read /metrics.
describe('the metric catalogue matches @ai-teams/otel-metrics', () => {
  it('every exposed series name and label is in the catalogue, and every catalogue name is exposed', async () => {
    const prom = prometheusMetrics({ serviceName: 'api-gateway', environment: 'dev' });
    const app = express();
    app.use(httpMetrics({ meterProvider: prom.meterProvider, serviceName: 'api-gateway' }));
    app.get('/api/v1/workflows/:id', (_req, res) => {
      res.json({ ok: true });
    });
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.get('/metrics', prom.handler);
    app.use(
      (_err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(500).json({ error: 'boom' });
      },
    );
    await request(app).get('/api/v1/workflows/42').expect(200);
    await request(app).get('/boom').expect(500);

    const business = businessMetrics({
      meterProvider: prom.meterProvider,
      serviceName: 'api-gateway',
    });
    business.recordApiKeyUsage({
      apiKeyId: 'k1',
      clientName: 'acme',
      endpoint: '/api/v1/workflows/:id',
      success: true,
    });
    business.recordEndpointUsage({
      endpoint: '/api/v1/workflows/:id',
      apiVersion: 'v1',
      userSegment: 'free',
    });
    business.recordUserActivity({ activityType: 'login' });
    business.recordWorkflowSuccessRate({ workflowType: 'etl', complexityLevel: 'low', rate: 0.9 });
    business.recordAiRequest({
      model: 'gpt-4o',
      provider: 'openai',
      tokens: { input: 10, output: 5 },
      cost: 0.01,
    });

    const { samples } = parsePrometheus((await request(app).get('/metrics').expect(200)).text);
    const catalogue = applicationSeries();
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const s of samples) {
      if (s.name === 'target_info') continue;
      seen.add(s.name);
      const known = catalogue.get(s.name);
      if (!known) {
        problems.push(`exposed but not in the catalogue: ${s.name}`);
        continue;
      }
      for (const l of Object.keys(s.labels)) {
        if (!known.has(l)) problems.push(`${s.name}: label ${l} not in the catalogue`);
      }
      for (const l of ['environment', 'project', 'service']) {
        if (!(l in s.labels)) problems.push(`${s.name}: no ${l} label`);
      }
    }
    assert.deepEqual([...new Set(problems)], []);
    assert.deepEqual(
      [...catalogue.keys()].filter((n) => !seen.has(n)),
      [],
    );
    await prom.shutdown();
  });
});
