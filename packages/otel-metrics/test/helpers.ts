import assert from 'node:assert/strict';
import type { Express } from 'express';
import request from 'supertest';
import { parsePrometheus, type PromText } from '@ai-teams/test-utils';

export { warningsOf } from '@ai-teams/test-utils';
import { httpMetrics, prometheusMetrics, type HttpMetricsOptions } from '../src';
import type { PrometheusMetrics, PrometheusMetricsOptions } from '../src';

export const LABELS = { environment: 'test', project: 'proj', serviceName: 'svc' };

export interface MetricsApp {
  app: Express;
  prom: PrometheusMetrics;
  /** GET /metrics through the real handler, parsed. */
  scrape(): Promise<PromText>;
}

/** An app with httpMetrics() first and the real Prometheus handler at /metrics (ignored). */
export function metricsApp(
  createApp: () => Express,
  options: HttpMetricsOptions = {},
  promOptions: PrometheusMetricsOptions = {},
): MetricsApp {
  const prom = prometheusMetrics({ ...LABELS, ...promOptions });
  const app = createApp();
  app.set('env', 'test'); // finalhandler stays quiet about the errors the tests throw
  app.use(
    httpMetrics({
      meterProvider: prom.meterProvider,
      serviceName: 'svc',
      ignore: ['/metrics'],
      ...options,
    }),
  );
  app.get('/metrics', prom.handler);
  return {
    app,
    prom,
    scrape: async () => {
      const res = await request(app).get('/metrics').expect(200);
      return parsePrometheus(res.text);
    },
  };
}

/**
 * Asserts that the series of one metric (`samples`, by value) are at most `limit`, overflow
 * included, and add up to `total`: no value lost or counted twice.
 */
export function assertBounded(
  samples: readonly { value: number }[],
  limit: number,
  total: number,
  what: string,
): void {
  assert.ok(samples.length <= limit, `${what}: ${samples.length} sets`);
  assert.equal(
    samples.reduce((sum, s) => sum + s.value, 0),
    total,
    `${what}: every value counted, in its own series or the overflow`,
  );
}

/**
 * `count` literal mount paths `/t/<name>`, for one router mounted under each: a new endpoint
 * per name, as an app that mounts a router per tenant makes them.
 */
export function tenantPaths(count: number, name: (i: number) => string): string[] {
  return Array.from({ length: count }, (_, i) => `/t/${name(i)}`);
}
