import type { Attributes, Counter, Histogram, MeterProvider } from '@opentelemetry/api';
import { serviceAttribute } from './labels';
import {
  keyOf,
  limitOf,
  overflowAttributes,
  ownSets,
  setLimitOf,
  type AttributeSetLimit,
} from './limits';
import { DURATION_BUCKETS, METER_NAME, METER_VERSION, METRIC } from './names';

// Endpoints whose in-flight count is kept; past this, idle ones are dropped (mount params).
const MAX_ENDPOINTS = 1000;
/** Durations a series holds before it records them in the SDK (see Series). */
const DURATION_BATCH = 32;

/** A request_count label set and its total, observed at collection time. */
export interface Count {
  attributes: Attributes;
  value: number;
}

/**
 * Per endpoint and method, made on first use and reused by every later request: the
 * histogram's attribute object and the request_count entries by status. Without them each
 * request built a key string, an attribute object and a closure for the same few series.
 * Bounded like request_count; past the bound a series is built per request, as before.
 *
 * A kept series also holds its latest durations, handed to the SDK DURATION_BATCH at a
 * time and before every collection (the request_count callback): each SDK record hashes its
 * attributes, which costs several times more one request at a time, between the rest of the
 * request's work, than in a run of records with everything still in cache (measured: 2.9 µs
 * against 0.4 µs per record). Every value is in the collection that follows it.
 *
 * Only the first series of the provider up to the histogram's limit hold durations of their
 * own; the others' go into the overflow series (`durationOverflow`), so the histogram keeps at
 * most that many attribute sets for the life of the process (see AttributeSetLimit).
 */
export interface Series {
  duration: Attributes;
  counts: Map<number, Count>;
  /** The durations not yet recorded; undefined for a series recorded as the overflow. */
  pending: Float64Array | undefined;
  size: number;
}

/** What the httpMetrics() of one `service_name` on a provider count together. */
export interface ServiceState {
  name: string;
  /**
   * Whether this is the state the names past the provider's bound share (see serviceState()):
   * everything it counts goes into the overflow series.
   */
  overflow: boolean;
  /**
   * The response property of a request's measurement: the first httpMetrics() of the
   * service a request passes measures it, any later one (on a router, a sub-app) lets it by.
   */
  slot: symbol;
  /** In-flight requests per endpoint: two map updates per request instead of SDK records. */
  inFlight: Map<string, number>;
  /** The active_requests attributes of each endpoint in `inFlight` (the overflow set's past the limit). */
  activeAttributes: Map<string, Attributes>;
  /**
   * Endpoints forgotten while idle whose last observation may not have been 0: observed at 0
   * in the next collection, since a cumulative reader keeps reporting a set's last value.
   */
  zeroes: Map<string, Attributes>;
  /** request_count entries by endpoint, method, status (and id labels). */
  counts: Map<string, Count>;
  /** Series by endpoint, then method. */
  series: Map<string, Map<string, Series>>;
}

/**
 * What every httpMetrics() on one MeterProvider shares. The SDK merges same-named
 * instruments of a meter, and for one attribute set the last observation of a collection
 * wins: with a callback and counts per middleware, two apps on one provider (or the app and
 * a router) overwrote each other's request_count and active_requests. One set of
 * instruments, one callback each, and counts that every middleware adds into.
 */
export interface ProviderState {
  duration: Histogram;
  errors: Counter;
  /** `service` on each data point where the exporter drops the resource's (OTLP mode). */
  service: { service?: string };
  services: Map<string, ServiceState>;
  /** What every `service_name` past the bound on `services` counts into, made when first needed. */
  overflowService: ServiceState | undefined;
  /** request_count label sets in every service's `counts`, the overflow entry not included. */
  countSets: number;
  overflow: Count | undefined;
  /** Most request_count label sets, the overflow included (see `requestCountLimit`). */
  limit: number;
  /** Whether a `requestCountLimit` option set `limit`, rather than the default. */
  limitGiven: boolean;
  /** Series kept, over every service: bounded by `limit`. */
  seriesCount: number;
  /** Most request_duration_seconds attribute sets, the overflow set included. */
  durationLimit: number;
  /** Series holding durations of their own, over every service: below `durationLimit`. */
  durationSets: number;
  /** Where the durations of every other series go, made when first needed. */
  durationOverflow: Series | undefined;
  /** The request_errors_total attribute sets (a counter recorded per failed request). */
  errorSets: AttributeSetLimit;
}

const states = new WeakMap<MeterProvider, ProviderState>();

/**
 * The shared state of `provider`, made (instruments and callbacks included) by its first
 * httpMetrics(). The smallest `requestCountLimit` any of them was given applies to all, the
 * default (the same for every middleware on the provider) until one is given.
 */
export function providerState(
  provider: MeterProvider,
  limit: number,
  limitGiven: boolean,
): ProviderState {
  const state = states.get(provider);
  if (state) {
    if (limitGiven && (!state.limitGiven || limit < state.limit)) {
      state.limit = limit;
      state.limitGiven = true;
    }
    return state;
  }
  const meter = provider.getMeter(METER_NAME, METER_VERSION);
  const requests = meter.createObservableCounter(METRIC.requestCount, {
    description: 'HTTP requests handled, by route template and status code.',
  });
  const active = meter.createObservableUpDownCounter(METRIC.activeRequests, {
    description: 'HTTP requests in progress; endpoint "unmatched" until a route matches.',
  });
  const s: ProviderState = {
    duration: meter.createHistogram(METRIC.requestDuration, {
      description: 'HTTP request duration, from the middleware to the end of the response.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    errors: meter.createCounter(METRIC.requestErrors, {
      description: 'HTTP requests answered with a 5xx status (thrown errors included).',
    }),
    service: serviceAttribute(provider),
    services: new Map(),
    overflowService: undefined,
    countSets: 0,
    overflow: undefined,
    limit,
    limitGiven,
    seriesCount: 0,
    durationLimit: limitOf(provider, METRIC.requestDuration, true),
    durationSets: 0,
    durationOverflow: undefined,
    errorSets: setLimitOf(provider, METRIC.requestErrors),
  };
  requests.addCallback((result) => {
    // Collection observes callbacks before it reads the histogram: its pending values go in now.
    flushDurations(s);
    for (const service of s.services.values()) {
      for (const c of service.counts.values()) result.observe(c.value, c.attributes);
    }
    if (s.overflow) result.observe(s.overflow.value, s.overflow.attributes);
  });
  // Endpoints past the limit are observed as one overflow set, whatever the SDK's limit does.
  // A cumulative reader keeps reporting the last value of a set no longer observed: a set
  // observed once is observed at 0 when nothing is left in it (see ServiceState.zeroes).
  const activeSets = setLimitOf(provider, METRIC.activeRequests);
  let overflowSeen: Attributes | undefined;
  active.addCallback((result) => {
    let overflow: Attributes | undefined;
    let overflowCount = 0;
    for (const service of allServices(s)) {
      for (const [endpoint, attributes] of service.zeroes) {
        if (!service.inFlight.has(endpoint)) result.observe(0, attributes);
      }
      service.zeroes.clear();
      for (const [endpoint, count] of service.inFlight) {
        let attributes = service.activeAttributes.get(endpoint);
        if (!attributes) {
          const own = { service_name: service.name, endpoint, ...s.service };
          attributes = service.overflow
            ? overflowAttributes(s.service)
            : activeSets.admit(keyOf(own), own);
          service.activeAttributes.set(endpoint, attributes);
        }
        if (attributes['otel.metric.overflow'] === true) {
          overflow = attributes;
          overflowCount += count;
        } else {
          result.observe(count, attributes);
        }
      }
    }
    overflow ??= overflowSeen;
    if (overflow) result.observe(overflowCount, (overflowSeen = overflow));
  });
  states.set(provider, s);
  return s;
}

function newServiceState(name: string, overflow: boolean): ServiceState {
  return {
    name,
    overflow,
    slot: Symbol('httpMetrics'),
    inFlight: new Map(),
    activeAttributes: new Map(),
    zeroes: new Map(),
    counts: new Map(),
    series: new Map(),
  };
}

/**
 * The counts of `name` on the provider, made for its first httpMetrics(). Names are kept up to
 * as many as request_count keeps label sets of its own (each counted name takes one at least):
 * an httpMetrics() of any further name (one made per tenant or per test, say) counts into one
 * shared state whose every series is the overflow, instead of a state of its own kept for good.
 */
export function serviceState(state: ProviderState, name: string): ServiceState {
  let service = state.services.get(name);
  if (service) return service;
  if (state.services.size >= ownSets(state.limit, state.service)) {
    return (state.overflowService ??= newServiceState(name, true));
  }
  service = newServiceState(name, false);
  state.services.set(name, service);
  return service;
}

/** Every service state of the provider, the shared overflow one included. */
function allServices(state: ProviderState): ServiceState[] {
  const all = [...state.services.values()];
  if (state.overflowService) all.push(state.overflowService);
  return all;
}

export function enter(service: ServiceState, endpoint: string): void {
  const inFlight = service.inFlight;
  const count = inFlight.get(endpoint);
  if (count === undefined && inFlight.size >= MAX_ENDPOINTS) forgetIdle(service);
  inFlight.set(endpoint, (count ?? 0) + 1);
}

export function leave(service: ServiceState, endpoint: string): void {
  service.inFlight.set(endpoint, service.inFlight.get(endpoint)! - 1);
}

function forgetIdle(service: ServiceState): void {
  for (const [endpoint, count] of service.inFlight) {
    if (count === 0) {
      const attributes = service.activeAttributes.get(endpoint);
      // Bounded by the sets the limit admits: only an endpoint with a set of its own is kept.
      if (attributes && attributes['otel.metric.overflow'] !== true) {
        service.zeroes.set(endpoint, attributes);
      }
      service.inFlight.delete(endpoint);
      service.activeAttributes.delete(endpoint);
    }
  }
}

/** The request_count entry of `key` (the overflow entry past the limit), created if new. */
export function count(
  state: ProviderState,
  service: ServiceState,
  key: string,
  attributes: () => Attributes,
): Count {
  let c = service.counts.get(key);
  if (c) return c;
  // A new label set. Only opt-in id labels or parameters in mount paths reach the limit,
  // which is at most the provider's own: its overflow for observed values loses totals.
  if (service.overflow || state.countSets >= ownSets(state.limit, state.service)) {
    return (state.overflow ??= { attributes: overflowAttributes(state.service), value: 0 });
  }
  c = { attributes: attributes(), value: 0 };
  service.counts.set(key, c);
  state.countSets++;
  return c;
}

export function seriesOf(
  state: ProviderState,
  service: ServiceState,
  endpoint: string,
  method: string,
): Series {
  let byMethod = service.series.get(endpoint);
  let s = byMethod?.get(method);
  if (s) return s;
  s = {
    duration: { service_name: service.name, endpoint, method, ...state.service },
    counts: new Map(),
    pending: undefined,
    size: 0,
  };
  if (!service.overflow && state.seriesCount < state.limit) {
    if (!byMethod) service.series.set(endpoint, (byMethod = new Map()));
    byMethod.set(method, s);
    state.seriesCount++;
    if (state.durationSets < ownSets(state.durationLimit, state.service)) {
      state.durationSets++;
      s.pending = new Float64Array(DURATION_BATCH);
    }
  }
  return s;
}

export function recordDuration(state: ProviderState, s: Series, seconds: number): void {
  const target = s.pending ? s : (state.durationOverflow ??= overflowSeries(state));
  target.pending![target.size++] = seconds;
  if (target.size === DURATION_BATCH) flushDuration(state, target);
}

function overflowSeries(state: ProviderState): Series {
  return {
    duration: overflowAttributes(state.service),
    counts: new Map(),
    pending: new Float64Array(DURATION_BATCH),
    size: 0,
  };
}

function flushDuration(state: ProviderState, s: Series): void {
  const n = s.size;
  s.size = 0;
  for (let i = 0; i < n; i++) state.duration.record(s.pending![i]!, s.duration);
}

function flushDurations(state: ProviderState): void {
  for (const service of state.services.values()) {
    for (const byMethod of service.series.values()) {
      for (const s of byMethod.values()) if (s.size !== 0) flushDuration(state, s);
    }
  }
  if (state.durationOverflow?.size) flushDuration(state, state.durationOverflow);
}
