import type { RequestHandler } from 'express';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { bindEmitter } from './bind-emitter';
import { attachStore, requestMetadata, requestStorage, type RequestStore } from './context';
import { isTrackingId, randomTrackingId, traceIdFromTraceparent, trustedIncomingId } from './id';
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

function mergeExposeHeader(current: unknown, header: string): string {
  if (current === undefined) return header;
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
  const o = { ...DEFAULT_OPTIONS, ...options };
  if (!TOKEN.test(o.header)) {
    throw new TypeError(
      `trackingId(): option "header" must be a valid HTTP header name, got ${JSON.stringify(o.header)}`,
    );
  }
  if (typeof o.attributeName !== 'string' || o.attributeName.length === 0) {
    throw new TypeError('trackingId(): option "attributeName" must be a non-empty string');
  }
  const requestHeader = o.header.toLowerCase();
  const custom = o.generateId;
  const generate =
    custom === randomTrackingId
      ? randomTrackingId
      : () => {
          const id = custom();
          return isTrackingId(id) ? id : randomTrackingId();
        };

  return function trackingIdMiddleware(req, res, next) {
    // The server span, not trace.getActiveSpan(): that is whichever express layer span runs.
    const metadata = requestMetadata();
    const server = metadata?.span;
    const span = server ?? trace.getActiveSpan();
    const spanContext = span?.spanContext();
    const id =
      (spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined) ??
      traceIdFromTraceparent(req.headers.traceparent) ??
      (o.trustIncoming ? trustedIncomingId(req.headers[requestHeader]) : undefined) ??
      generate();

    req.trackingId = id;
    res.locals.trackingId = id;
    res.setHeader(o.header, id);
    if (o.exposeHeader) res.setHeader(EXPOSE, mergeExposeHeader(res.getHeader(EXPOSE), o.header));
    if (span?.isRecording()) span.setAttribute(o.attributeName, id);

    if (metadata && server) {
      attachStore(metadata, { trackingId: id, serverSpan: server, context: {} });
      next();
      return;
    }
    const store: RequestStore = { trackingId: id, serverSpan: span, context: {} };
    requestStorage.run(store, () => {
      bindEmitter(req);
      bindEmitter(res);
      next();
    });
  };
}
