import { createWriteStream } from 'node:fs';
import { app, type Variant } from '../app';
import { setupTracing, withoutPretenuring } from '../otel';

/** The packages the full stack uses (their own dependencies load with them). */
const STACK_MODULES = [
  '@ai-teams/telemetry',
  '@ai-teams/tracking-id',
  '@ai-teams/cloudwatch-logger',
  '@ai-teams/otel-metrics',
  '@ai-teams/error-span-events',
];

type Part = 'tracking-id' | 'request-logger' | 'http-metrics' | 'error-handler';
const ALL_PARTS: ReadonlySet<Part> = new Set([
  'tracking-id',
  'request-logger',
  'http-metrics',
  'error-handler',
]);

interface StackOptions {
  /** The real OTLP exporters, aimed at a loopback port nothing listens on. */
  collectorDown?: boolean;
  /** Log records over OTLP as well as on stdout (`logs` of setupTelemetry). */
  otlpLogs?: boolean;
  /** The middleware mounted (all by default). */
  parts?: ReadonlySet<Part>;
  /**
   * Where lines go: `stdout`, the loggers' default, which the harness makes a pipe it drains
   * (as a container runtime's), written synchronously; or a `/dev/null` file stream, written
   * through libuv's thread pool, which the full stack was measured with before.
   */
  sink?: 'stdout' | 'file';
}

/**
 * Every package through setupTelemetry(): tracing (http, express, fetch), Prometheus metrics,
 * winston logs with the OTLP transport, tracking id, access log, HTTP metrics, error handler.
 * Exporters accept and drop their batches, like the instrumented baseline's span exporter.
 */
function fullStack({
  collectorDown = false,
  otlpLogs = true,
  parts = ALL_PARTS,
  sink = 'stdout',
}: StackOptions = {}) {
  const { setupTelemetry } = require('@ai-teams/telemetry') as typeof import('@ai-teams/telemetry');
  setupTelemetry({
    serviceName: 'bench',
    environment: 'staging',
    metrics: 'prometheus',
    logs: otlpLogs,
    ...(collectorDown
      ? { otlpEndpoint: 'http://127.0.0.1:9' }
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
  const stream = sink === 'stdout' ? process.stdout : createWriteStream('/dev/null');
  const logger = createLogger({
    service: 'bench',
    environment: 'staging',
    stream,
    formats: [errorSpanEvents()],
  });
  const a = app([
    ...(parts.has('tracking-id') ? [trackingId()] : []),
    ...(parts.has('request-logger')
      ? [requestLogger({ service: 'bench', environment: 'staging', stream })]
      : []),
    ...(parts.has('http-metrics') ? [httpMetrics({ serviceName: 'bench' })] : []),
  ]);
  if (parts.has('error-handler')) a.use(errorHandler({ logger }));
  return a;
}

export const stackVariants: Variant[] = [
  { name: 'express+full-stack', baseline: 'express+otel', create: () => fullStack() },
  // Logs on stdout only (CloudWatch; Loki fed by a log shipper): what the OTLP copy costs.
  {
    name: 'express+full-stack(no OTLP logs)',
    baseline: 'express+otel',
    versus: ['express+full-stack'],
    create: () => fullStack({ otlpLogs: false }),
  },
  // Lines to a /dev/null file stream instead of stdout: what runs 1-8 and together1-2 measured.
  {
    name: 'express+full-stack(file stream)',
    baseline: 'express+otel',
    versus: ['express+full-stack'],
    create: () => fullStack({ sink: 'file' }),
  },
  // V8 without allocation-site pretenuring (docs/performance.md, "Stop 16"): the full stack
  // against the usual baseline, the baseline itself, and the two both without it.
  {
    name: 'express+full-stack(no pretenuring)',
    baseline: 'express+otel',
    versus: ['express+full-stack'],
    create: withoutPretenuring(() => fullStack()),
  },
  {
    name: 'express+otel(no pretenuring)',
    baseline: 'express+otel',
    create: withoutPretenuring(() => {
      setupTracing();
      return app();
    }),
  },
  {
    name: 'express+full-stack(no pretenuring, against the same)',
    baseline: 'express+otel(no pretenuring)',
    create: withoutPretenuring(() => fullStack()),
  },
  // Control: the instrumented baseline with the full stack's modules loaded and not used.
  {
    name: 'express+otel(stack loaded, unused)',
    baseline: 'express+otel',
    create: () => {
      setupTracing();
      for (const m of STACK_MODULES) require(m);
      return app();
    },
  },
  {
    name: 'express+full-stack(against the loaded baseline)',
    baseline: 'express+otel(stack loaded, unused)',
    create: () => fullStack(),
  },
  // The full stack taken apart: setupTelemetry() alone, then its middleware added one by one.
  {
    name: 'express+telemetry',
    baseline: 'express+otel',
    create: () => fullStack({ parts: new Set() }),
  },
  {
    name: 'express+telemetry+tracking-id',
    baseline: 'express+otel',
    create: () => fullStack({ parts: new Set(['tracking-id']) }),
  },
  {
    name: 'express+telemetry+tracking-id+http-metrics',
    baseline: 'express+otel',
    create: () => fullStack({ parts: new Set(['tracking-id', 'http-metrics']) }),
  },
  // Requests must not slow down when the collector is unreachable.
  {
    name: 'express+full-stack(collector down)',
    baseline: 'express+full-stack',
    create: () => fullStack({ collectorDown: true }),
  },
];
