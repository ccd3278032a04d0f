import { metrics } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  DEFAULT_CARDINALITY_LIMIT,
  DEFAULT_HISTOGRAM_CARDINALITY_LIMIT,
  metricsResourceAttributes,
  prometheusMetrics,
  tagMeterProvider,
} from '@ai-teams/otel-metrics';
import { positiveFromEnv } from './env';
import type { MetricsHandler, ResolvedTelemetryOptions } from './types';

/** How often `otlp` mode pushes, unless OTEL_METRIC_EXPORT_INTERVAL says otherwise. */
const PUSH_INTERVAL_MS = 15_000;

export interface MetricsSetup {
  handler: MetricsHandler;
  shutdown(): Promise<void>;
}

const NOT_SERVED =
  'metrics are not served here: the metrics mode is not "prometheus" (option "metrics", OTEL_METRICS_EXPORTER, or OTEL_SDK_DISABLED=true)\n';

const notServed: MetricsHandler = (_req, res) => {
  res
    .writeHead(404, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(NOT_SERVED),
    })
    .end(NOT_SERVED);
};

/** Registers the global MeterProvider for the chosen mode. */
export function createMetrics(
  config: ResolvedTelemetryOptions,
  otlp: { url?: string; timeoutMillis: number },
): MetricsSetup {
  const labels = {
    serviceName: config.serviceName,
    environment: config.environment,
    project: config.project,
  };
  if (config.metrics === 'prometheus') {
    const prom = prometheusMetrics({ ...labels, global: true });
    // Typed as Express's handler, it reads only Node's request and response (the Prometheus
    // exporter's own handler does the work).
    const handler = prom.handler as MetricsHandler;
    return { handler, shutdown: () => prom.shutdown() };
  }
  if (config.metrics === 'otlp') {
    // The standard variables, which sdk-metrics does not read itself (sdk-node does, and this
    // provider is not sdk-node's). A timeout longer than the interval is cut to it.
    const interval = positiveFromEnv('OTEL_METRIC_EXPORT_INTERVAL') ?? PUSH_INTERVAL_MS;
    const timeout = Math.min(
      positiveFromEnv('OTEL_METRIC_EXPORT_TIMEOUT') ?? otlp.timeoutMillis,
      interval,
    );
    const provider = new MeterProvider({
      resource: resourceFromAttributes({
        ...metricsResourceAttributes(labels),
        // As on spans and logs: the version reaches target_info, and the older environment
        // key is the one the collector config upserts.
        'service.version': config.serviceVersion,
        'deployment.environment': config.environment,
        // The collector makes `instance` of it: each replica's series stay apart.
        'service.instance.id': config.serviceInstanceId,
      }),
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter(otlp),
          exportIntervalMillis: interval,
          exportTimeoutMillis: timeout,
          // The same per-metric series bounds as the Prometheus path.
          cardinalityLimits: {
            default: DEFAULT_CARDINALITY_LIMIT,
            histogram: DEFAULT_HISTOGRAM_CARDINALITY_LIMIT,
          },
        }),
      ],
    });
    // So httpMetrics() and businessMetrics() label service_name with this service, and keep
    // request_count within this reader's limit (prometheusMetrics() tags its own provider).
    tagMeterProvider(provider, {
      serviceName: config.serviceName,
      cardinalityLimit: DEFAULT_CARDINALITY_LIMIT,
      histogramCardinalityLimit: DEFAULT_HISTOGRAM_CARDINALITY_LIMIT,
      // The collector's remote write keeps no resource attribute but service.name (as `job`):
      // the plan's `service` label reaches Grafana Cloud on the data points.
      serviceLabel: true,
    });
    metrics.setGlobalMeterProvider(provider);
    return { handler: notServed, shutdown: () => provider.shutdown() };
  }
  return { handler: notServed, shutdown: async () => undefined };
}
