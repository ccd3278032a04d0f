import { businessMetrics, httpMetrics, prometheusMetrics } from '@ai-teams/otel-metrics';
import { parsePrometheus, type PromSample } from '@ai-teams/test-utils';
import express from 'express';
import request from 'supertest';

/** The service and environment the real exposition is recorded under. */
export const EXPOSITION = { service: 'api-gateway', environment: 'dev' } as const;

/**
 * What @ai-teams/otel-metrics really exposes on `/metrics` once every instrument has recorded:
 * a 200 on a route, a 404 no route matched, a thrown error (500), every business recorder (an
 * API key use that succeeded and one that failed) and an AI request.
 */
export async function realExposition(): Promise<PromSample[]> {
  const prom = prometheusMetrics({
    serviceName: EXPOSITION.service,
    environment: EXPOSITION.environment,
  });
  try {
    const app = express();
    app.use(httpMetrics({ meterProvider: prom.meterProvider, serviceName: EXPOSITION.service }));
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
    await request(app).get('/no/such/route').expect(404);
    await request(app).get('/boom').expect(500);

    const business = businessMetrics({
      meterProvider: prom.meterProvider,
      serviceName: EXPOSITION.service,
    });
    for (const success of [true, false]) {
      business.recordApiKeyUsage({
        apiKeyId: 'k1',
        clientName: 'acme',
        endpoint: '/api/v1/workflows/:id',
        success,
      });
    }
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
    return parsePrometheus((await request(app).get('/metrics').expect(200)).text).samples;
  } finally {
    await prom.shutdown();
  }
}
