import { EventEmitter } from 'node:events';
import type { Attributes, MeterProvider } from '@opentelemetry/api';
import type { Request, RequestHandler, Response } from 'express';
import {
  CLIENT_CLOSED,
  closeWhenConnectionCloses,
  finalStatus,
  makeListenerRoom,
  matchedRouteTemplate,
  onRoute,
  unwrapSkippedLayer,
  mountOrderCheck,
  type MountOrderCheck,
  type RouteListener,
} from '@ai-teams/tracking-id';
import { apiVersionOf, endpointLabel, methodOf } from './endpoint';
import {
  count,
  enter,
  leave,
  providerState,
  recordDuration,
  seriesOf,
  serviceState,
  type Series,
} from './http-state';
import { serviceNameLabel } from './labels';
import { keyOf, UNKNOWN_PROVIDER_LIMIT } from './limits';
import { METRIC } from './names';
import { checkOptionsObject, checkOptionTypes } from './option-check';
import { providerFor, tagOf } from './provider';
import type { HttpMetricsOptions } from './types';
import { userLabel } from './user-label';

const { addListener, removeListener } = EventEmitter.prototype;

const DEFAULT_OPTIONS = {
  ignore: [] as (string | RegExp)[],
  trackingIdLabel: false,
  now: () => performance.now(),
};

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
  checkOptionsObject('httpMetrics', options);
  options ??= {};
  checkOptionTypes('httpMetrics', options, {
    serviceName: 'string',
    trackingIdLabel: 'boolean',
    userIdLabel: 'function',
    now: 'function',
  });
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
  const provider = providerFor('httpMetrics', o.meterProvider);
  // Every httpMetrics() on the provider counts into the same totals (see ProviderState).
  const state = providerState(
    provider,
    requestCountLimit(o.requestCountLimit, provider),
    o.requestCountLimit !== undefined,
  );
  const serviceName = serviceNameLabel(o.serviceName, provider);
  // Past the provider's bound on names, a state shared with other names (see serviceState()).
  const totals = serviceState(state, serviceName);
  // `service` on each data point where the exporter drops the resource's (OTLP mode).
  const { errors, errorSets, service } = state;

  const isIgnored = ignorer(o.ignore);
  const now = o.now;
  const userId = o.userIdLabel && userLabel(o.userIdLabel);
  const trackingIdLabel = o.trackingIdLabel;
  // Which id labels this middleware adds, in its request_count keys: the entries of two
  // middleware of one service with different id labels never share a key.
  const idLabels = `${trackingIdLabel ? 't' : ''}${userId ? 'u' : ''}`;

  // One object per request, no closures: the hook calls routed(), the shared close listener
  // finds it on the response under the service's symbol (see ServiceState.slot).
  const slot = totals.slot;
  type Measured = Response & Record<symbol, Measurement | undefined>;

  class Measurement implements RouteListener {
    hooked = false;
    done = false;
    constructor(
      readonly req: Request,
      readonly start: number,
      public endpoint: string,
    ) {}

    routed(_route: unknown): void {
      if (this.done) return; // a route matched after the response ended: already recorded
      // The template Express just matched, with its mounts (`req.route` is the route now).
      const endpoint = endpointLabel(matchedRouteTemplate(this.req));
      if (endpoint === this.endpoint) return;
      leave(totals, this.endpoint);
      enter(totals, endpoint);
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

  function record(m: Measurement, res: Response): void {
    const req = m.req;
    // Without the hook (not an Express request prototype): the route as it stands now.
    if (!m.hooked && req.route) m.routed(req.route);
    m.done = true;
    leave(totals, m.endpoint);
    // Headers sent is not enough: a streamed response the client dropped halfway has them (499),
    // and one the app failed halfway is a server error (500).
    const status = finalStatus(res);
    const endpoint = m.endpoint;
    const method = methodOf(req.method);
    const s = seriesOf(state, totals, endpoint, method);
    recordDuration(state, s, (now() - m.start) / 1000);
    const trackingId = trackingIdLabel ? (req.trackingId ?? 'none') : undefined;
    const user = userId ? userId(req) : undefined;
    if (trackingId === undefined && user === undefined) {
      let c = s.counts.get(status);
      if (!c) {
        c = count(state, totals, `${endpoint}\0${method}\0${status}`, () =>
          countAttributes(s, status),
        );
        s.counts.set(status, c);
      }
      c.value++;
    } else {
      const key = `${endpoint}\0${method}\0${status}\0${idLabels}\0${trackingId}\0${user}`;
      count(state, totals, key, () => {
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
      errors.add(1, errorSets.admit(keyOf(errorAttributes), errorAttributes));
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
  // Where it is mounted, checked over its first requests (see mountOrderCheck); null once done.
  let checkOrder: MountOrderCheck | undefined | null;

  return function httpMetricsMiddleware(req, res, next) {
    if (checkOrder !== null) {
      checkOrder ??= mountOrderCheck(httpMetricsMiddleware, 'httpMetrics()', 'no request metrics');
      if (checkOrder(req, res)) checkOrder = null;
    }
    if (!layerSettled) layerSettled = unwrapSkippedLayer(req, httpMetricsMiddleware);
    if ((res as Measured)[slot] !== undefined || isIgnored?.(req)) {
      next();
      return;
    }
    // Mounted on a route itself (`app.get(path, httpMetrics(), handler)`): already matched.
    const endpoint = endpointLabel(matchedRouteTemplate(req));
    const m = new Measurement(req, now(), endpoint);
    enter(totals, endpoint);
    m.hooked = onRoute(req, m);
    (res as Measured)[slot] = m;
    makeListenerRoom(res); // not one of the app's listeners: room of its own under the limit
    closeWhenConnectionCloses(res); // Node < 24.16 forgets a queued response's 'close'
    addListener.call(res, 'close', onClose);
    // Closed already: the client left while a middleware before this one was still waiting.
    if (res.closed) onClose.call(res as Measured);
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
  const limit = option ?? providerLimit ?? UNKNOWN_PROVIDER_LIMIT;
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
