import type { RequestHandler } from 'express';
import { metrics } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  DEFAULT_CARDINALITY_LIMIT,
  DEFAULT_HISTOGRAM_CARDINALITY_LIMIT,
  metricsResourceAttributes,
  prometheusMetrics,
} from '@ai-teams/otel-metrics';
import type { ResolvedTelemetryOptions } from './types';

export interface MetricsSetup {
  handler: RequestHandler;
  shutdown(): Promise<void>;
}

const notServed: RequestHandler = (_req, res) => {
  res
    .status(404)
    .type('text/plain')
    .send('metrics are not served here: OTEL_METRICS_EXPORTER is not "prometheus"\n');
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
    return { handler: prom.handler, shutdown: () => prom.shutdown() };
  }
  if (config.metrics === 'otlp') {
    const provider = new MeterProvider({
      resource: resourceFromAttributes(metricsResourceAttributes(labels)),
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter(otlp),
          exportIntervalMillis: 15_000,
          // The same per-metric series bounds as the Prometheus path.
          cardinalityLimits: {
            default: DEFAULT_CARDINALITY_LIMIT,
            histogram: DEFAULT_HISTOGRAM_CARDINALITY_LIMIT,
          },
        }),
      ],
    });
    metrics.setGlobalMeterProvider(provider);
    return { handler: notServed, shutdown: () => provider.shutdown() };
  }
  return { handler: notServed, shutdown: async () => undefined };
}
