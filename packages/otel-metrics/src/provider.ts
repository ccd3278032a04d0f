import type { MeterProvider } from '@opentelemetry/api';

/**
 * What `httpMetrics()` and `businessMetrics()` learn from a MeterProvider made by
 * `prometheusMetrics()` or `@ai-teams/telemetry`: the service it labels every series with,
 * and the cardinality limits its reader applies.
 */
export interface MeterProviderTag {
  /** The provider's `service.name`: the default `service_name` label. */
  serviceName: string;
  /** Most attribute sets per counter or gauge, the overflow set included. */
  cardinalityLimit: number;
  /** Per-instrument overrides of `cardinalityLimit`, by instrument name. */
  cardinalityLimits?: Record<string, number>;
  /**
   * The provider's exporter does not turn resource attributes into labels (OTLP to the
   * collector, whose remote write keeps only `job`, `instance` and its own external labels):
   * the metrics of this package then carry `service` on each data point themselves.
   */
  serviceLabel?: boolean;
}

// Symbol.for: the provider @ai-teams/telemetry tags with its copy of this package is found
// by the app's copy, should npm install two.
const TAGS = Symbol.for('@ai-teams/otel-metrics.meterProviderTags');
const tags = ((globalThis as Record<symbol, WeakMap<object, MeterProviderTag> | undefined>)[
  TAGS
] ??= new WeakMap());

/** Tags a MeterProvider this package or `@ai-teams/telemetry` made, for `tagOf()`. */
export function tagMeterProvider(provider: MeterProvider, tag: MeterProviderTag): void {
  tags.set(provider, { ...tag });
}

/** The tag of `provider` (`metrics.getMeterProvider()` returns the registered object itself). */
export function tagOf(provider: MeterProvider): MeterProviderTag | undefined {
  return tags.get(provider);
}
