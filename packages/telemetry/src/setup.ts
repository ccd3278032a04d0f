import { diag, logs, metrics, trace } from '@opentelemetry/api';
import { logs as legacyLogs } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  resourceFromAttributes,
  type ResourceDetector,
} from '@opentelemetry/resources';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace';
import { addCrashFlush } from '@ai-teams/tracking-id';
import { endCrashedServerSpan } from './crash';
import { installDiag } from './diag';
import { positiveFromEnv, warnIfGrpc } from './env';
import { BoundedSpanExporter } from './span-export';
import { logDropReporter } from './log-drops';
import { createInstrumentations } from './instrumentations';
import { warnIfLoadedTooEarly } from './late-load';
import { createMetrics } from './metrics';
import { resolveOptions } from './options';
import type { Telemetry, TelemetryOptions } from './types';

// Bounded memory when the collector is down or slow: the queue drops the oldest work past
// these sizes instead of growing, and an export never waits longer than the timeout.
const EXPORT_TIMEOUT_MS = 10_000;
const LOG_QUEUE_SIZE = 2048;
/**
 * Longest span attribute value (span and event attributes), where the standard variables leave
 * it unset (the SDK's own default is no limit). Instrumentations record what an app throws as
 * it is: a 5 MB `err.name` or message would otherwise sit whole in the export queue. Above
 * @ai-teams/error-span-events' own 8 KB stack bound.
 */
const SPAN_ATTRIBUTE_LENGTH = 16_384;

let current: Telemetry | undefined;

/**
 * sdk-node's resource detectors, as OTEL_NODE_RESOURCE_DETECTORS names them (all by default),
 * but for `serviceinstance`: its random `service.instance.id` would win over ours on spans and
 * logs, while the metrics carry ours. Ours comes from OTEL_RESOURCE_ATTRIBUTES when set there.
 */
function resourceDetectors(instanceId: string): ResourceDetector[] {
  // The env detector reads OTEL_RESOURCE_ATTRIBUTES, and what it finds wins over the set-up's
  // resource: but for `service.instance.id`, which a cluster worker has made its own.
  const env: ResourceDetector = {
    detect(config) {
      const found = envDetector.detect(config);
      return found.attributes?.['service.instance.id'] === undefined
        ? found
        : { ...found, attributes: { ...found.attributes, 'service.instance.id': instanceId } };
    },
  };
  const byName: Record<string, ResourceDetector> = {
    process: processDetector,
    host: hostDetector,
    os: osDetector,
    env,
  };
  // Empty or blank is unset, as sdk-node reads it.
  const names = (process.env.OTEL_NODE_RESOURCE_DETECTORS?.trim() || 'all')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (names.includes('all')) return Object.values(byName);
  if (names.includes('none')) return [];
  return names.flatMap((n) => {
    if (byName[n] || n === 'serviceinstance') return byName[n] ?? [];
    diag.warn(`Invalid resource detector "${n}" in OTEL_NODE_RESOURCE_DETECTORS`);
    return [];
  });
}

/**
 * The log batch processor's settings from the standard OTEL_BLRP_* variables, as sdk-node
 * reads OTEL_BSP_* for spans (sdk-logs itself reads none of them); ours where unset.
 */
function logBatchOptions() {
  return {
    maxQueueSize: positiveFromEnv('OTEL_BLRP_MAX_QUEUE_SIZE') ?? LOG_QUEUE_SIZE,
    maxExportBatchSize: positiveFromEnv('OTEL_BLRP_MAX_EXPORT_BATCH_SIZE'),
    scheduledDelayMillis: positiveFromEnv('OTEL_BLRP_SCHEDULE_DELAY'),
    exportTimeoutMillis: positiveFromEnv('OTEL_BLRP_EXPORT_TIMEOUT') ?? EXPORT_TIMEOUT_MS,
  };
}

function signalUrl(
  base: string | undefined,
  path: string,
): { url?: string; timeoutMillis: number } {
  return base
    ? { url: `${base}${path}`, timeoutMillis: EXPORT_TIMEOUT_MS }
    : { timeoutMillis: EXPORT_TIMEOUT_MS };
}

/**
 * The batches of a full span queue, and how many span exports may be in flight at once: those
 * batches and the one already in flight. sdk-trace's batch processor starts its next batch
 * without waiting for the current one once an export has failed, so with the collector failing
 * the batches in flight pile up to the exporter's own limit (30 by default): up to 15 360 spans
 * and their request bodies held besides the queue, where this keeps them within it. A shutdown
 * flushes the queue's batches on top of the ones in flight (see BoundedSpanExporter). sdk-node
 * has already reported a bad OTEL_BSP_* value, and uses its default as here.
 */
function spanExportConcurrency(): { limit: number; queueBatches: number } {
  const queue = positiveFromEnv('OTEL_BSP_MAX_QUEUE_SIZE', false) ?? 2048;
  const batch = Math.min(positiveFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', false) ?? 512, queue);
  const queueBatches = Math.ceil(queue / batch);
  return { limit: queueBatches + 1, queueBatches };
}

/** The OTLP span exporter, its exports in flight bounded as `spanExportConcurrency()` says. */
function boundedTraceExporter(base: string | undefined): BoundedSpanExporter {
  const { limit, queueBatches } = spanExportConcurrency();
  const otlp = new OTLPTraceExporter({
    ...signalUrl(base, '/v1/traces'),
    // Never below ours: the batches ours lets through at shutdown must not fail here.
    concurrencyLimit: limit + queueBatches,
  });
  return new BoundedSpanExporter(otlp, limit, queueBatches);
}

/**
 * Sets up OpenTelemetry for one service in one call: traces (OTLP/HTTP, batched), metrics
 * (Prometheus or OTLP), logs (OTLP through winston), http/express/fetch instrumentation and
 * W3C propagation. Idempotent: a second call returns the first set-up.
 */
export function setupTelemetry(options: TelemetryOptions = {}): Telemetry {
  if (current) {
    process.emitWarning('setupTelemetry() was called again: the first set-up stays in force.', {
      code: 'AI_TEAMS_TELEMETRY_TWICE',
    });
    return current;
  }
  const config = resolveOptions(options);
  options ??= {}; // null: the defaults, as resolveOptions() took it
  // While setting up, the SDK reports its configuration (a bad OTEL_BSP_* value, an unknown
  // propagator) once each: every such line is printed. The limit is for export failures, and one
  // of these must neither hide the others nor hold back the first failure for a whole interval.
  installDiag(0, true);
  warnIfLoadedTooEarly();
  warnIfGrpc([
    ...(config.traces && !options.traceExporter ? (['traces'] as const) : []),
    ...(config.logs && !options.logExporter ? (['logs'] as const) : []),
    ...(config.metrics === 'otlp' ? (['metrics'] as const) : []),
  ]);

  // Made here, as sdk-node's options were: what it reports of its settings reaches the logger.
  const spanExporter =
    config.traces && !options.traceExporter ? boundedTraceExporter(config.otlpEndpoint) : undefined;

  const resource = resourceFromAttributes({
    'service.name': config.serviceName,
    'service.version': config.serviceVersion,
    'deployment.environment.name': config.environment,
    'deployment.environment': config.environment,
    project: config.project,
    'service.instance.id': config.serviceInstanceId,
  });
  const sdk = new NodeSDK({
    resource,
    resourceDetectors: resourceDetectors(config.serviceInstanceId),
    // Applied after resource detection: the name the metrics carry, even where
    // OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise than an explicit option.
    serviceName: config.serviceName,
    instrumentations: createInstrumentations(config),
    // sdk-node puts these over the limits it reads from the environment: only the length,
    // and the variables still win.
    spanLimits: {
      attributeValueLengthLimit:
        positiveFromEnv('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') ??
        positiveFromEnv('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT') ??
        SPAN_ATTRIBUTE_LENGTH,
    },
    // Reads OTEL_BSP_* for the batch processor; OTEL_TRACES_SAMPLER(_ARG) for the sampler.
    // Without export the spans are still made and dropped: sdk-node registers no tracer at all
    // for an empty list, and then each service would make its own tracking id and send no
    // traceparent, losing the one id across the services.
    ...(config.traces
      ? {
          traceExporter: options.traceExporter ?? spanExporter,
        }
      : { spanProcessors: [new NoopSpanProcessor()] }),
    logRecordProcessors: config.logs
      ? [
          new BatchLogRecordProcessor({
            exporter:
              options.logExporter ??
              new OTLPLogExporter(signalUrl(config.otlpEndpoint, '/v1/logs')),
            ...logBatchOptions(),
            // Only to report the records dropped at a full queue (an experimental option of
            // sdk-logs, whose version is pinned).
            selfObsMeterProvider: logDropReporter(),
          }),
        ]
      : [],
    // Metrics are set up below, with the cardinality limits of @ai-teams/otel-metrics.
    metricReaders: [],
  });
  installDiag(0);
  sdk.start();
  // @opentelemetry/winston-transport still emits through the pre-3.x logs API package, whose
  // global is separate from @opentelemetry/api's: point it at the same provider.
  if (config.logs) legacyLogs.setGlobalLoggerProvider(logs.getLoggerProvider());
  const meters = createMetrics(config, signalUrl(config.otlpEndpoint, '/v1/metrics'));
  installDiag(config.diagIntervalMs); // set up: from now on, one line per interval

  let stopped: Promise<void> | undefined;
  // One event-loop turn first: records queued in this turn for the end of it (the OTLP copies
  // of cloudwatch-logger's access lines) reach the log processor before it flushes.
  const shutdown = () =>
    (stopped ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => {
        // The queue's batches go out besides the span exports still in flight.
        spanExporter?.flushing();
        return Promise.allSettled([
          // sdk-trace's batch processor ends its shutdown at the first batch of its flush that
          // fails, without the exporter's shutdown, which waits for the exports in flight: they
          // are waited for here (each within the export timeout).
          sdk.shutdown().finally(() => spanExporter?.forceFlush()),
          meters.shutdown(),
        ]);
      })
      .then(() => undefined));
  // Run only by a crash handler (cloudwatch-logger's `handleExceptions`), which ends the
  // process afterwards: the crashed request's span and the batches still queued are exported.
  addCrashFlush((error) => {
    endCrashedServerSpan(error);
    return shutdown();
  });
  if (config.shutdownOnSigterm) {
    // Kept until the flush has ended: a second SIGTERM meanwhile (a cluster primary that
    // forwards the signal, and is itself set up with this option, re-raises it and so forwards
    // it twice) would otherwise find no listener and end the process mid-flush.
    const onSigterm = () => {
      void shutdown().finally(() => {
        if (!process.listeners('SIGTERM').includes(onSigterm)) return;
        process.removeListener('SIGTERM', onSigterm);
        process.kill(process.pid, 'SIGTERM');
      });
    };
    process.on('SIGTERM', onSigterm);
  }
  current = {
    tracerProvider: trace.getTracerProvider(),
    meterProvider: metrics.getMeterProvider(),
    loggerProvider: logs.getLoggerProvider(),
    metricsHandler: meters.handler,
    config,
    shutdown,
  };
  return current;
}

/** The set-up made by `setupTelemetry()` or the register entry, if any. */
export function getTelemetry(): Telemetry | undefined {
  return current;
}
