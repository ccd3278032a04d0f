import type { RequestHandler } from 'express';
import { app, type Variant } from '../app';
import { setupTracing, withoutPretenuring } from '../otel';

type OtelMetrics = typeof import('@ai-teams/otel-metrics');

// httpMetrics() on a real SDK MeterProvider read by the Prometheus exporter (not a no-op
// meter), so every request pays the SDK's aggregation. Nothing scrapes during the run.
function withHttpMetrics(): RequestHandler {
  const { httpMetrics, prometheusMetrics } = require('@ai-teams/otel-metrics') as OtelMetrics;
  const { meterProvider } = prometheusMetrics({ serviceName: 'bench', environment: 'bench' });
  return httpMetrics({ meterProvider, serviceName: 'bench', ignore: ['/metrics'] });
}

const otelHttpMetrics: Variant = {
  name: 'express+otel+http-metrics',
  baseline: 'express+otel',
  create: () => {
    setupTracing();
    return app([withHttpMetrics()]);
  },
};

export const metricsVariants: Variant[] = [
  otelHttpMetrics,
  // Control: the instrumented baseline with the metrics SDK set up as above (a MeterProvider
  // read by the Prometheus exporter) and no middleware: loading and holding it changes V8's
  // collector regime (docs/performance.md, "Stop 16").
  {
    name: 'express+otel(metrics set up, unused)',
    baseline: 'express+otel',
    create: () => {
      setupTracing();
      const { prometheusMetrics } = require('@ai-teams/otel-metrics') as OtelMetrics;
      const kept = prometheusMetrics({ serviceName: 'bench', environment: 'bench' });
      return Object.assign(app(), { kept });
    },
  },
  {
    ...otelHttpMetrics,
    name: 'express+otel+http-metrics(against the metrics-set-up baseline)',
    baseline: 'express+otel(metrics set up, unused)',
  },
  // Both sides without allocation-site pretenuring (baseline: `express+otel(no pretenuring)`,
  // in stack.ts): httpMetrics with the collector's regime out of the comparison.
  {
    name: 'express+otel+http-metrics(no pretenuring, against the same)',
    baseline: 'express+otel(no pretenuring)',
    create: withoutPretenuring(otelHttpMetrics.create),
  },
  {
    name: 'express+http-metrics',
    baseline: 'express',
    versus: ['express+prom-bundle'],
    create: () => app([withHttpMetrics()]),
  },
  {
    // The usual alternative: prom-client histogram + counter by route, on the bare app.
    name: 'express+prom-bundle',
    baseline: 'express',
    create: () => {
      const promBundle = require('express-prom-bundle') as typeof import('express-prom-bundle');
      return app([
        promBundle({
          includeMethod: true,
          includePath: true,
          includeStatusCode: true,
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        }) as unknown as RequestHandler,
      ]);
    },
  },
];
