import type { Request, RequestHandler, Response } from 'express';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { bindEmitter } from './bind-emitter';
import {
  attachStore,
  currentStore,
  markServerTrace,
  requestMetadata,
  REQUEST_STORE,
  requestStorage,
  type RequestStore,
  type StoreOf,
} from './context';
import { isTrackingId, randomTrackingId, traceIdFromTraceparent, trustedIncomingId } from './id';
import { shownValue } from './shared';
import { unwrapSkippedLayer } from './skipped-layer';
import { mountOrderCheck, type MountOrderCheck } from './mount-order';
import { closeWhenConnectionCloses } from './queued-close';
import type { TrackingIdOptions } from './types';

const DEFAULT_OPTIONS: Required<TrackingIdOptions> = {
  header: 'X-Tracking-ID',
  attributeName: 'tracking.id',
  trustIncoming: false,
  exposeHeader: true,
  generateId: randomTrackingId,
};

// RFC 9110 token characters: anything else in a header name is rejected by Node at send time.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const EXPOSE = 'Access-Control-Expose-Headers';

type Tracked = Request & StoreOf;

function mergeExposeHeader(current: unknown, header: string): string {
  const list = (Array.isArray(current) ? current.join(',') : String(current))
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean);
  const wanted = header.toLowerCase();
  if (list.some((value) => value === '*' || value.toLowerCase() === wanted)) return list.join(', ');
  return [...list, header].join(', ');
}

/**
 * Express middleware giving every request one tracking id: the active trace id when the
 * OpenTelemetry SDK traces the request (sampled or not), else a valid incoming `traceparent`'s
 * trace id, else (with `trustIncoming`) a valid client-sent id, else a random one.
 */
export function trackingId(options: TrackingIdOptions = {}): RequestHandler {
  // A header name passed alone (`trackingId('X-Request-ID')`) was silently ignored.
  if (options !== null && (typeof options !== 'object' || Array.isArray(options))) {
    throw new TypeError(
      `trackingId(): options must be an object such as { header: 'X-Request-ID' }, got ${shownValue(options)}`,
    );
  }
  options ??= {};
  // Per option, so an option passed as `undefined` (from a config object) keeps its default.
  const o: Required<TrackingIdOptions> = {
    header: options.header ?? DEFAULT_OPTIONS.header,
    attributeName: options.attributeName ?? DEFAULT_OPTIONS.attributeName,
    trustIncoming: options.trustIncoming ?? DEFAULT_OPTIONS.trustIncoming,
    exposeHeader: options.exposeHeader ?? DEFAULT_OPTIONS.exposeHeader,
    generateId: options.generateId ?? DEFAULT_OPTIONS.generateId,
  };
  if (typeof o.header !== 'string' || !TOKEN.test(o.header)) {
    throw new TypeError(
      `trackingId(): option "header" must be a valid HTTP header name, got ${JSON.stringify(o.header)}`,
    );
  }
  if (typeof o.attributeName !== 'string' || o.attributeName.length === 0) {
    throw new TypeError('trackingId(): option "attributeName" must be a non-empty string');
  }
  for (const name of ['trustIncoming', 'exposeHeader'] as const) {
    // A string such as 'false' would have read as true.
    if (typeof o[name] !== 'boolean') {
      throw new TypeError(
        `trackingId(): option "${name}" must be true or false, got ${shownValue(o[name])}`,
      );
    }
  }
  if (typeof o.generateId !== 'function') {
    throw new TypeError('trackingId(): option "generateId" must be a function returning an id');
  }
  const requestHeader = o.header.toLowerCase();
  const custom = o.generateId;
  const generate =
    custom === randomTrackingId
      ? randomTrackingId
      : () => {
          // A generator that throws or returns junk costs the request nothing: a random id.
          let id: unknown;
          try {
            id = custom();
          } catch {
            return randomTrackingId();
          }
          return isTrackingId(id) ? id : randomTrackingId();
        };

  const header = o.header;
  const attributeName = o.attributeName;
  const exposeHeader = o.exposeHeader;

  // Whether the express instrumentation's wrapper around this layer has been looked at: on
  // the first request with a server span, so an app without the SDK never pays for the check.
  let layerSettled = false;
  // Where it is mounted, checked over its first requests (see mountOrderCheck); null once done.
  let checkOrder: MountOrderCheck | undefined | null;

  return function trackingIdMiddleware(req, res, next) {
    closeWhenConnectionCloses(res); // queued behind a pipelined response: see the function
    if (checkOrder !== null) {
      checkOrder ??= mountOrderCheck(trackingIdMiddleware, 'trackingId()', `no ${header} header`);
      if (checkOrder(req, res)) checkOrder = null;
    }
    // The server span, not trace.getActiveSpan(): that is whichever express layer span runs.
    const metadata = requestMetadata();
    const server = metadata?.span;
    const spanContext = server?.spanContext();
    if (spanContext && isSpanContextValid(spanContext)) {
      if (!layerSettled) layerSettled = unwrapSkippedLayer(req, trackingIdMiddleware);
      // The usual case with the SDK: the id is the trace id, and the RPC metadata that already
      // travels with the request is all getTrackingId() needs. Nothing is allocated.
      const id = spanContext.traceId;
      publish(req, res, id);
      if (server!.isRecording()) server!.setAttribute(attributeName, id);
      markServerTrace(metadata!, req);
      next();
      return;
    }
    // Mounted twice for one request (on the app, again on a router): the first pass's id and
    // context stay, else the lines after the router would carry another id without the context.
    const first = (req as Tracked)[REQUEST_STORE];
    if (first !== undefined) {
      if (currentStore() === first) next();
      else requestStorage.run(first, next);
      return;
    }
    const span = server ?? trace.getActiveSpan();
    const activeContext = server ? undefined : span?.spanContext();
    const id =
      (activeContext && isSpanContextValid(activeContext) ? activeContext.traceId : undefined) ??
      traceIdFromTraceparent(req.headers.traceparent) ??
      (o.trustIncoming ? trustedIncomingId(req.headers[requestHeader]) : undefined) ??
      generate();
    publish(req, res, id);
    if (span?.isRecording()) span.setAttribute(attributeName, id);

    if (metadata && server) {
      const store: RequestStore = { trackingId: id, serverSpan: server, context: {} };
      attachStore(metadata, store);
      (req as Tracked)[REQUEST_STORE] = store;
      next();
      return;
    }
    const store: RequestStore = { trackingId: id, serverSpan: span, context: {} };
    (req as Tracked)[REQUEST_STORE] = store;
    requestStorage.run(store, () => {
      bindEmitter(req);
      bindEmitter(res);
      next();
    });
  };

  function publish(req: Request, res: Response, id: string): void {
    req.trackingId = id;
    res.locals.trackingId = id;
    res.setHeader(header, id);
    if (exposeHeader) {
      const current = res.getHeader(EXPOSE);
      res.setHeader(EXPOSE, current === undefined ? header : mergeExposeHeader(current, header));
    }
  }
}
