import { createNoopMeter, metrics, type MeterProvider } from '@opentelemetry/api';
import { METER_NAME, METER_VERSION } from './names';
import { checkMeterProvider } from './option-check';

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
  /** Most attribute sets per histogram, the overflow set included (default 50). */
  histogramCardinalityLimit?: number | undefined;
  /** Per-instrument overrides of both, by instrument name. */
  cardinalityLimits?: Record<string, number> | undefined;
  /**
   * The provider's exporter does not turn resource attributes into labels (OTLP to the
   * collector, whose remote write keeps only `job`, `instance` and its own external labels):
   * the metrics of this package then carry `service` on each data point themselves.
   */
  serviceLabel?: boolean | undefined;
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

let warnedNoProvider = false;

/**
 * The provider a factory records to: its `meterProvider` option, else the global one, read once.
 * With no SDK registered yet (`httpMetrics()` made before `setupTelemetry()`), that is the API's
 * no-op provider, and the factory records nothing for the life of the process: warned, once per
 * process, unless the SDK is switched off on purpose (`OTEL_SDK_DISABLED`). A no-op provider
 * passed as the option is taken as meant.
 */
export function providerFor(factory: string, option: MeterProvider | undefined): MeterProvider {
  checkMeterProvider(factory, option);
  if (option != null) return option;
  const provider = metrics.getMeterProvider();
  if (
    !warnedNoProvider &&
    process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true' &&
    provider.getMeter(METER_NAME, METER_VERSION) === createNoopMeter()
  ) {
    warnedNoProvider = true;
    process.emitWarning(
      `${factory}(): no MeterProvider is registered (or the registered one was shut down), so its metrics are recorded nowhere (the global provider is read once, when the middleware or recorders are created). Create it after setupTelemetry() of @ai-teams/telemetry (or metrics.setGlobalMeterProvider()), or pass { meterProvider }, e.g. the one of prometheusMetrics().`,
      { code: 'AI_TEAMS_METRICS_NO_PROVIDER' },
    );
  }
  return provider;
}
