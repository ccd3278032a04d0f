import { EventEmitter } from 'node:events';
import { metrics, type Attributes, type MeterProvider } from '@opentelemetry/api';
import type { Request, RequestHandler, Response } from 'express';
import {
  CLIENT_CLOSED,
  finalStatus,
  onRoute,
  unwrapSkippedLayer,
  type RouteListener,
} from '@ai-teams/tracking-id';
import { apiVersionOf, endpointOf, methodOf } from './endpoint';
import { serviceAttribute, serviceNameLabel } from './labels';
import { DURATION_BUCKETS, METER_NAME, METER_VERSION, METRIC, UNMATCHED } from './names';
import { tagOf } from './provider';
import type { HttpMetricsOptions } from './types';

const { addListener, removeListener } = EventEmitter.prototype;

const DEFAULT_OPTIONS = {
  ignore: [] as (string | RegExp)[],
  trackingIdLabel: false,
  now: () => performance.now(),
};

/** `requestCountLimit` on a provider whose limits are not known (the SDK's default is 2000). */
const DEFAULT_REQUEST_COUNT_LIMIT = 400;

// Endpoints whose in-flight count is kept; past this, idle ones are dropped (mount params).
const MAX_ENDPOINTS = 1000;
const OVERFLOW_KEY = '\0overflow';
/** Durations a series holds before it records them in the SDK (see Series). */
const DURATION_BATCH = 32;

/** Status of a response whose connection closed before it finished: nginx's "client closed". */
export { CLIENT_CLOSED };

function ignorer(ignore: (string | RegExp)[]): ((req: Request) => boolean) | undefined {
  if (ignore.length === 0) return undefined;
  const exact = new Set(ignore.filter((i): i is string => typeof i === 'string'));
  const patterns = ignore.filter((i): i is RegExp => i instanceof RegExp);
  return (req) => {
    const path = req.path;
    return exact.has(path) || patterns.some((p) => p.test(path));
  };
}

/**
 * Express middleware recording the RED metrics of every request: `request_count`,
 * `request_duration_seconds`, `request_errors_total` and `active_requests`, labelled by the
 * route template (never the raw path). Mount it before the routes.
 */
export function httpMetrics(options: HttpMetricsOptions = {}): RequestHandler {
  // Per option, so an option passed as `undefined` (from a config object) keeps its default.
  const o = {
    ...options,
    ignore: options.ignore ?? DEFAULT_OPTIONS.ignore,
    trackingIdLabel: options.trackingIdLabel ?? DEFAULT_OPTIONS.trackingIdLabel,
    now: options.now ?? DEFAULT_OPTIONS.now,
  };
  if (
    !Array.isArray(o.ignore) ||
    !o.ignore.every((i) => typeof i === 'string' || i instanceof RegExp)
  ) {
    throw new TypeError(
      `httpMetrics(): option "ignore" must be an array of path strings or RegExps, e.g. ['/metrics', '/health']`,
    );
  }
  const provider = o.meterProvider ?? metrics.getMeterProvider();
  const serviceName = serviceNameLabel(o.serviceName, provider);
  // `service` on each data point where the exporter drops the resource's (OTLP mode).
  const service = serviceAttribute(provider);
  const overflow: Attributes = { 'otel.metric.overflow': true, ...service };
  const countLimit = requestCountLimit(o.requestCountLimit, provider);
  const meter = provider.getMeter(METER_NAME, METER_VERSION);
  const requests = meter.createObservableCounter(METRIC.requestCount, {
    description: 'HTTP requests handled, by route template and status code.',
  });
  const duration = meter.createHistogram(METRIC.requestDuration, {
    description: 'HTTP request duration, from the middleware to the end of the response.',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const errors = meter.createCounter(METRIC.requestErrors, {
    description: 'HTTP requests answered with a 5xx status (thrown errors included).',
  });
  const active = meter.createObservableUpDownCounter(METRIC.activeRequests, {
    description: 'HTTP requests in progress; endpoint "unmatched" until a route matches.',
  });

  const isIgnored = ignorer(o.ignore);
  const now = o.now;
  const userId = o.userIdLabel;
  const trackingIdLabel = o.trackingIdLabel;
  // In-flight requests per endpoint, counted here and observed at collection time: two map
  // updates per request instead of SDK records (which hash their attributes every time).
  const inFlight = new Map<string, number>();
  const attributesOf = new Map<string, Attributes>();
  // request_count is counted here too and observed at collection time: an SDK record hashes
  // its attributes on every call, which measured as most of this middleware's cost.
  const counts = new Map<string, Count>();
  requests.addCallback((result) => {
    // Collection observes callbacks before it reads the histogram: its pending values go in now.
    flushDurations();
    for (const c of counts.values()) result.observe(c.value, c.attributes);
  });
  interface Count {
    attributes: Attributes;
    value: number;
  }
  /** The request_count entry of `key` (the overflow entry past the limit), created if new. */
  function count(key: string, attributes: () => Attributes): Count {
    let c = counts.get(key);
    if (!c) {
      // A new label set. Only opt-in id labels or parameters in mount paths reach the limit,
      // which is at most the provider's own: its overflow for observed values loses totals.
      if (counts.size >= countLimit - 1) key = OVERFLOW_KEY;
      c = counts.get(key);
      if (!c) {
        c = { attributes: key === OVERFLOW_KEY ? overflow : attributes(), value: 0 };
        counts.set(key, c);
      }
    }
    return c;
  }
  active.addCallback((result) => {
    for (const [endpoint, count] of inFlight) {
      let attributes = attributesOf.get(endpoint);
      if (!attributes) {
        attributes = { service_name: serviceName, endpoint, ...service };
        attributesOf.set(endpoint, attributes);
      }
      result.observe(count, attributes);
    }
  });
  const enter = (endpoint: string) => {
    const count = inFlight.get(endpoint);
    if (count === undefined && inFlight.size >= MAX_ENDPOINTS) forgetIdle();
    inFlight.set(endpoint, (count ?? 0) + 1);
  };
  const leave = (endpoint: string) => inFlight.set(endpoint, inFlight.get(endpoint)! - 1);
  function forgetIdle() {
    for (const [endpoint, count] of inFlight) {
      if (count === 0) {
        inFlight.delete(endpoint);
        attributesOf.delete(endpoint);
      }
    }
  }

  // One object per request, no closures: the hook calls routed(), the shared close
  // listener finds it on the response under this factory's own symbol.
  const slot = Symbol('httpMetrics');
  type Measured = Response & { [slot]?: Measurement };

  class Measurement implements RouteListener {
    hooked = false;
    done = false;
    constructor(
      readonly req: Request,
      readonly start: number,
      public endpoint: string,
    ) {}

    routed(route: unknown): void {
      if (this.done) return; // a route matched after the response ended: already recorded
      const endpoint = endpointOf(this.req.baseUrl, route as { path?: string });
      if (endpoint === this.endpoint) return;
      leave(this.endpoint);
      enter(endpoint);
      this.endpoint = endpoint;
    }
  }

  // Node emits 'close' on every response: after 'finish', or alone when the connection drops
  // first. One listener, added with EventEmitter's own method: the http instrumentation
  // makes res.on wrap each listener in the request's context, which this one does not need
  // (measured: the wrapping cost more than the recording).
  function onClose(this: Measured): void {
    removeListener.call(this, 'close', onClose);
    const m = this[slot];
    if (!m) return;
    this[slot] = undefined;
    record(m, this);
  }

  // Per endpoint and method, made on first use and reused by every later request: the
  // histogram's attribute object and the request_count entries by status. Without them each
  // request built a key string, an attribute object and a closure for the same few series.
  // Bounded like request_count; past the bound a series is built per request, as before.
  //
  // A kept series also holds its latest durations, handed to the SDK DURATION_BATCH at a
  // time and before every collection (the request_count callback): each SDK record hashes its
  // attributes, which costs several times more one request at a time, between the rest of the
  // request's work, than in a run of records with everything still in cache (measured: 2.9 µs
  // against 0.4 µs per record). Every value is in the collection that follows it.
  interface Series {
    duration: Attributes;
    counts: Map<number, Count>;
    pending: Float64Array | undefined;
    size: number;
  }
  const series = new Map<string, Map<string, Series>>();
  let seriesCount = 0;
  function seriesOf(endpoint: string, method: string): Series {
    let byMethod = series.get(endpoint);
    let s = byMethod?.get(method);
    if (s) return s;
    s = {
      duration: { service_name: serviceName, endpoint, method, ...service },
      counts: new Map(),
      pending: undefined,
      size: 0,
    };
    if (seriesCount < countLimit) {
      if (!byMethod) series.set(endpoint, (byMethod = new Map()));
      byMethod.set(method, s);
      seriesCount++;
      s.pending = new Float64Array(DURATION_BATCH);
    }
    return s;
  }
  function recordDuration(s: Series, seconds: number): void {
    const pending = s.pending;
    if (!pending) return duration.record(seconds, s.duration);
    pending[s.size++] = seconds;
    if (s.size === DURATION_BATCH) flushDuration(s);
  }
  function flushDuration(s: Series): void {
    const n = s.size;
    s.size = 0;
    for (let i = 0; i < n; i++) duration.record(s.pending![i]!, s.duration);
  }
  function flushDurations(): void {
    for (const byMethod of series.values()) {
      for (const s of byMethod.values()) if (s.size !== 0) flushDuration(s);
    }
  }

  function record(m: Measurement, res: Response): void {
    const req = m.req;
    // Without the hook (not an Express request prototype): the route as it stands now.
    if (!m.hooked && req.route) m.routed(req.route);
    m.done = true;
    leave(m.endpoint);
    // Headers sent is not enough: a streamed response the client dropped halfway has them (499),
    // and one the app failed halfway is a server error (500).
    const status = finalStatus(res);
    const endpoint = m.endpoint;
    const method = methodOf(req.method);
    const s = seriesOf(endpoint, method);
    recordDuration(s, (now() - m.start) / 1000);
    const trackingId = trackingIdLabel ? (req.trackingId ?? 'none') : undefined;
    const user = userId ? (userId(req) ?? 'none') : undefined;
    if (trackingId === undefined && user === undefined) {
      let c = s.counts.get(status);
      if (!c) {
        c = count(`${endpoint}\0${method}\0${status}`, () => countAttributes(s, status));
        s.counts.set(status, c);
      }
      c.value++;
    } else {
      const ids = `\0${trackingId}\0${user}`;
      count(`${endpoint}\0${method}\0${status}${ids}`, () => {
        const a = countAttributes(s, status);
        if (trackingId !== undefined) a.tracking_id = trackingId;
        if (user !== undefined) a.user_id = user;
        return a;
      }).value++;
    }
    if (status >= 500) {
      const statusCode = String(status);
      const errorAttributes: Attributes = {
        service_name: serviceName,
        endpoint,
        method,
        error_type: statusCode,
        status_code: statusCode,
        ...service,
      };
      if (trackingId !== undefined) errorAttributes.tracking_id = trackingId;
      if (user !== undefined) errorAttributes.user_id = user;
      errors.add(1, errorAttributes);
    }
  }

  function countAttributes(s: Series, status: number): Attributes {
    const endpoint = s.duration.endpoint as string;
    return {
      service_name: serviceName,
      endpoint,
      method: s.duration.method,
      status_code: String(status),
      api_version: apiVersionOf(endpoint),
      ...service,
    };
  }

  // Whether the express instrumentation's wrapper around this layer has been looked at.
  let layerSettled = false;

  return function httpMetricsMiddleware(req, res, next) {
    if (!layerSettled) layerSettled = unwrapSkippedLayer(req, httpMetricsMiddleware);
    if (isIgnored?.(req)) {
      next();
      return;
    }
    // Mounted on a route itself (`app.get(path, httpMetrics(), handler)`): already matched.
    const endpoint = req.route ? endpointOf(req.baseUrl, req.route) : UNMATCHED;
    const m = new Measurement(req, now(), endpoint);
    enter(endpoint);
    m.hooked = onRoute(req, m);
    (res as Measured)[slot] = m;
    addListener.call(res, 'close', onClose);
    next();
  };
}

/**
 * Most request_count label sets: the option, else the provider's limit for request_count when
 * known. Past that limit the SDK folds further sets into its overflow series, which does not
 * add up observed totals (counts are lost): an option above it is lowered to it.
 */
function requestCountLimit(option: number | undefined, provider: MeterProvider): number {
  const tag = tagOf(provider);
  const providerLimit =
    tag && (tag.cardinalityLimits?.[METRIC.requestCount] ?? tag.cardinalityLimit);
  const limit = option ?? providerLimit ?? DEFAULT_REQUEST_COUNT_LIMIT;
  if (!Number.isInteger(limit) || limit < 2) {
    throw new RangeError(
      `httpMetrics(): option "requestCountLimit" must be an integer >= 2, got ${String(limit)}`,
    );
  }
  if (providerLimit === undefined || limit <= providerLimit) return limit;
  process.emitWarning(
    `httpMetrics(): option "requestCountLimit" (${limit}) is above the provider's cardinality limit for request_count (${providerLimit}), past which counts would be lost; using ${providerLimit}. To keep more, raise both, e.g. prometheusMetrics({ cardinalityLimits: { request_count: ${limit} } }).`,
    { code: 'AI_TEAMS_METRICS_REQUEST_COUNT_LIMIT' },
  );
  return providerLimit;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by @ai-teams/tracking-id; read by `httpMetrics({ trackingIdLabel: true })`. */
      trackingId?: string;
    }
  }
}
