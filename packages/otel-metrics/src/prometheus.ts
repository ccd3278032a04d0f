import { shownValue } from '@ai-teams/tracking-id';
import type { ServerResponse } from 'node:http';
import { diag, metrics } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { InstrumentType, MeterProvider, type ViewOptions } from '@opentelemetry/sdk-metrics';
import type { RequestHandler } from 'express';
import { metricsResourceAttributes } from './labels';
import { DEFAULT_CARDINALITY_LIMIT, DEFAULT_HISTOGRAM_CARDINALITY_LIMIT } from './limits';
import { METRIC_NAMES } from './names';
import { checkOptionsObject, checkOptionTypes, checkResourceAttributes } from './option-check';
import { tagMeterProvider } from './provider';
import type { PrometheusMetrics, PrometheusMetricsOptions } from './types';

export { DEFAULT_CARDINALITY_LIMIT, DEFAULT_HISTOGRAM_CARDINALITY_LIMIT };

/** The resource attributes that become labels on every series. */
const CONSTANT_LABELS = /^(environment|project|service)$/;

/**
 * What the handler sends: the Prometheus text format 0.0.4 (the exporter's `# UNIT` lines are
 * comments there), in UTF-8. The exporter's own handler says only `text/plain`.
 */
const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function checkLimit(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 2) {
    throw new RangeError(
      `prometheusMetrics(): option "${name}" must be an integer >= 2 (series per metric, overflow included), got ${String(value)}`,
    );
  }
  return value;
}

/**
 * A key of `cardinalityLimits` that names no instrument of this package is most likely a typo
 * (`request_cuont`) or a Prometheus name (`request_count_total`), and such a view matches
 * nothing. It may also be an instrument of the app's own on this provider: a warning, not an
 * error.
 */
function warnUnknownNames(names: string[]): void {
  const unknown = names.filter((name) => !METRIC_NAMES.includes(name));
  if (unknown.length === 0) return;
  process.emitWarning(
    `prometheusMetrics(): option "cardinalityLimits" names ${unknown.map((n) => `"${n}"`).join(', ')}, not an instrument of @ai-teams/otel-metrics; it applies only to an instrument of that exact name created on this provider. This package's instrument names (as created, before Prometheus adds "_total" or "_bucket"): ${METRIC_NAMES.join(', ')}.`,
    { code: 'AI_TEAMS_METRICS_CARDINALITY_LIMITS' },
  );
}

/** A Prometheus reader whose default cardinality limits are ours, not the SDK's 2000. */
class BoundedPrometheusExporter extends PrometheusExporter {
  constructor(
    private readonly limit: number,
    private readonly histogramLimit: number,
  ) {
    // Scope labels (otel_scope_version) would change every series on each release of this package.
    super({
      preventServerStart: true,
      withResourceConstantLabels: CONSTANT_LABELS,
      withoutScopeInfo: true,
    });
  }

  /** The same text as the exporter's own handler: no prefix, no timestamps, target_info kept. */
  private readonly serializer = new PrometheusSerializer('', false, CONSTANT_LABELS, false, true);

  /**
   * Answers a scrape. The exporter's own handler answers 200 with a comment when collecting
   * fails (the provider was shut down), which Prometheus takes for a healthy target with no
   * series: `up` stays 1 and no scrape error is shown. A 503 makes it `up == 0` with the reason.
   */
  serve(res: ServerResponse): void {
    this.collect().then(
      ({ resourceMetrics, errors }) => {
        if (errors.length) diag.error('prometheusMetrics(): metrics collection errors', ...errors);
        res.statusCode = 200;
        res.setHeader('content-type', METRICS_CONTENT_TYPE);
        res.end(this.serializer.serialize(resourceMetrics));
      },
      (err: unknown) => {
        res.statusCode = 503;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end(`metrics unavailable: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  }

  override selectCardinalityLimit(type: InstrumentType): number {
    return type === InstrumentType.HISTOGRAM ? this.histogramLimit : this.limit;
  }
}

/**
 * A MeterProvider read by the Prometheus exporter, and an Express handler serving its text
 * format: `app.get('/metrics', handler)`. No second port. Every series carries `environment`,
 * `project` and `service`; every metric keeps at most `cardinalityLimit` series.
 */
export function prometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  checkOptionsObject('prometheusMetrics', options);
  options ??= {};
  checkOptionTypes('prometheusMetrics', options, {
    serviceName: 'string',
    environment: 'string',
    project: 'string',
    global: 'boolean',
  });
  const resourceAttributes = checkResourceAttributes(
    'prometheusMetrics',
    'resourceAttributes',
    options.resourceAttributes,
  );
  const limit = checkLimit(
    'cardinalityLimit',
    options.cardinalityLimit ?? DEFAULT_CARDINALITY_LIMIT,
  );
  const limits = options.cardinalityLimits ?? {};
  // A string's characters would be read as instruments "0", "1", …
  if (typeof limits !== 'object' || Array.isArray(limits)) {
    throw new TypeError(
      `prometheusMetrics(): option "cardinalityLimits" must be an object of instrument names to limits, e.g. { request_count: 1000 }, got ${shownValue(limits)}`,
    );
  }
  // A view matching an instrument replaces the reader's default, so overrides are views.
  const views: ViewOptions[] = Object.entries(limits).map(([instrumentName, value]) => ({
    instrumentName,
    aggregationCardinalityLimit: checkLimit(`cardinalityLimits.${instrumentName}`, value),
  }));
  const histogramLimit = checkLimit(
    'histogramCardinalityLimit',
    options.histogramCardinalityLimit ?? DEFAULT_HISTOGRAM_CARDINALITY_LIMIT,
  );
  warnUnknownNames(Object.keys(limits));
  const exporter = new BoundedPrometheusExporter(limit, histogramLimit);
  const labels = metricsResourceAttributes(options);
  const resource = defaultResource().merge(
    resourceFromAttributes({ ...resourceAttributes, ...labels }),
  );
  const meterProvider = new MeterProvider({ resource, views, readers: [exporter] });
  tagMeterProvider(meterProvider, {
    serviceName: labels.service!,
    cardinalityLimit: limit,
    histogramCardinalityLimit: histogramLimit,
    cardinalityLimits: { ...limits },
  });
  if (options.global) metrics.setGlobalMeterProvider(meterProvider);

  const handler: RequestHandler = function prometheusMetricsHandler(_req, res) {
    exporter.serve(res);
  };
  return {
    meterProvider,
    handler,
    exporter,
    async shutdown() {
      if (options.global && metrics.getMeterProvider() === meterProvider) metrics.disable();
      await meterProvider.shutdown();
    },
  };
}
