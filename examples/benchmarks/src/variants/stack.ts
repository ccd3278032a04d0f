import { createWriteStream } from 'node:fs';
import { app, type Variant } from '../app';

/**
 * Every package through setupTelemetry(): tracing (http, express, fetch), Prometheus metrics,
 * winston logs with the OTLP transport, tracking id, access log, HTTP metrics, error handler.
 * Exporters accept and drop their batches, like the instrumented baseline's span exporter.
 */
function fullStack(collectorDown: boolean, otlpLogs = true) {
  const { setupTelemetry } = require('@ai-teams/telemetry') as typeof import('@ai-teams/telemetry');
  setupTelemetry({
    serviceName: 'bench',
    environment: 'staging',
    metrics: 'prometheus',
    logs: otlpLogs,
    ...(collectorDown
      ? // The real OTLP exporters, aimed at a loopback port nothing listens on.
        { otlpEndpoint: 'http://127.0.0.1:9' }
      : {
          traceExporter: {
            export: (_spans, done) => done({ code: 0 }),
            shutdown: async () => undefined,
          },
          logExporter: {
            export: (_records, done) => done({ code: 0 }),
            forceFlush: async () => undefined,
            shutdown: async () => undefined,
          },
        }),
  });
  const { trackingId } = require('@ai-teams/tracking-id') as typeof import('@ai-teams/tracking-id');
  const { createLogger, requestLogger } =
    require('@ai-teams/cloudwatch-logger') as typeof import('@ai-teams/cloudwatch-logger');
  const { httpMetrics } =
    require('@ai-teams/otel-metrics') as typeof import('@ai-teams/otel-metrics');
  const { errorHandler, errorSpanEvents } =
    require('@ai-teams/error-span-events') as typeof import('@ai-teams/error-span-events');
  const stream = createWriteStream('/dev/null');
  const logger = createLogger({
    service: 'bench',
    environment: 'staging',
    stream,
    formats: [errorSpanEvents()],
  });
  const a = app([
    trackingId(),
    requestLogger({ service: 'bench', environment: 'staging', stream }),
    httpMetrics({ serviceName: 'bench' }),
  ]);
  a.use(errorHandler({ logger }));
  return a;
}

export const stackVariants: Variant[] = [
  { name: 'express+full-stack', baseline: 'express+otel', create: () => fullStack(false) },
  // Logs on stdout only (CloudWatch; Loki fed by a log shipper): what the OTLP copy costs.
  {
    name: 'express+full-stack(no OTLP logs)',
    baseline: 'express+otel',
    versus: ['express+full-stack'],
    create: () => fullStack(false, false),
  },
  // Requests must not slow down when the collector is unreachable.
  {
    name: 'express+full-stack(collector down)',
    baseline: 'express+full-stack',
    create: () => fullStack(true),
  },
];
