import type { Attributes, MeterProvider } from '@opentelemetry/api';
import { serviceAttribute } from './labels';
import { tagOf } from './provider';

/** Default attribute sets per counter or gauge: 500 series at most. */
export const DEFAULT_CARDINALITY_LIMIT = 500;
/**
 * Default attribute sets per histogram. Each is 14 Prometheus series with the HTTP buckets
 * (11 bounds, +Inf, _sum, _count), so 50 sets are at most 700 series.
 */
export const DEFAULT_HISTOGRAM_CARDINALITY_LIMIT = 50;
/**
 * Attribute sets per counter on a provider whose limits are not known (its reader's default
 * is the SDK's, 2000, unless the app set another): kept well under that.
 */
export const UNKNOWN_PROVIDER_LIMIT = 400;

/**
 * The most attribute sets `instrument` keeps on `provider`, the overflow set included: the
 * limit of its reader when `prometheusMetrics()` or `@ai-teams/telemetry` made the provider
 * (a per-instrument view first), else UNKNOWN_PROVIDER_LIMIT for a counter and the default
 * histogram limit for a histogram.
 */
export function limitOf(provider: MeterProvider, instrument: string, histogram: boolean): number {
  const tag = tagOf(provider);
  const byKind = histogram
    ? (tag?.histogramCardinalityLimit ?? DEFAULT_HISTOGRAM_CARDINALITY_LIMIT)
    : (tag?.cardinalityLimit ?? UNKNOWN_PROVIDER_LIMIT);
  return tag?.cardinalityLimits?.[instrument] ?? byKind;
}

/**
 * The attributes of an overflow series, as the SDK names it, with `service` where the data
 * points carry it (`serviceAttribute()` of the provider).
 */
export function overflowAttributes(service: { service?: string }): Attributes {
  return { 'otel.metric.overflow': true, ...service };
}

/**
 * How many attribute sets of its own an instrument keeps under `limit`. The SDK folds the
 * `limit`-th set it sees into its own overflow set, `{ otel.metric.overflow: true }`: where ours
 * is that set (Prometheus), `limit - 1` of ours and the overflow make `limit`; where ours also
 * carries `service` (OTLP), the SDK would fold ours into its own, without `service`, and keep
 * both: one set fewer of ours keeps the overflow whole and labelled.
 */
export function ownSets(limit: number, service: { service?: string }): number {
  return service.service === undefined ? limit - 1 : limit - 2;
}

/**
 * The attribute sets a synchronous instrument (a counter's `add()`, a histogram's `record()`)
 * takes over the life of the process. The SDK's cardinality limit of such an instrument
 * counts the sets of one collection only (sdk-metrics 3.1): each scrape of a cumulative
 * reader such as Prometheus's admits up to the limit of new sets, and the exported series
 * keep them all, so series and memory grew without bound. Here the first sets (`limit - 1`, or
 * one fewer, see ownSets) keep their own series for good, and every later one goes into the
 * overflow set: the SDK's own limit never moves a set between series.
 */
export class AttributeSetLimit {
  private readonly admitted = new Set<string>();

  private readonly own: number;

  constructor(
    readonly limit: number,
    service: { service?: string },
    private readonly overflow = overflowAttributes(service),
  ) {
    this.own = ownSets(limit, service);
  }

  /**
   * `attributes`, or the overflow set once the sets it keeps (see ownSets) were taken. `key` names the
   * set: two keys for one set only take a place more, never let a set past the limit.
   */
  admit(key: string, attributes: Attributes): Attributes {
    if (this.admitted.has(key)) return attributes;
    if (this.admitted.size >= this.own) return this.overflow;
    this.admitted.add(key);
    return attributes;
  }
}

const limits = new WeakMap<MeterProvider, Map<string, AttributeSetLimit>>();

/**
 * The one AttributeSetLimit of `instrument` on `provider`: the SDK merges same-named
 * instruments of a meter, so every recorder of it on the provider shares one count.
 */
export function setLimitOf(
  provider: MeterProvider,
  instrument: string,
  histogram = false,
): AttributeSetLimit {
  let byName = limits.get(provider);
  if (!byName) limits.set(provider, (byName = new Map()));
  let limit = byName.get(instrument);
  if (!limit) {
    limit = new AttributeSetLimit(
      limitOf(provider, instrument, histogram),
      serviceAttribute(provider),
    );
    byName.set(instrument, limit);
  }
  return limit;
}

/** A key naming an attribute set (own entries, in order), for `AttributeSetLimit.admit()`. */
export function keyOf(attributes: Attributes): string {
  return JSON.stringify(Object.entries(attributes));
}
