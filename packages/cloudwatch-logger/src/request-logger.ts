import { EventEmitter } from 'node:events';
import { types } from 'node:util';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { context as otelContext, type Context } from '@opentelemetry/api';
import type { Logger } from 'winston';
import {
  finalStatus,
  makeListenerRoom,
  hookRoutes,
  matchedRouteTemplate,
  requestPath,
  serverContext,
  unwrapSkippedLayer,
  mountOrderCheck,
  closeWhenConnectionCloses,
  getTrackingId,
  REQUEST_TRACKING_ID,
  shownValue,
  type MountOrderCheck,
} from '@ai-teams/tracking-id';
import { ACCESS } from './access-line';
import { ACCESS_KEY, directWriter } from './direct';
import { loggerOption, optionalFunction, optionsObject, skipOption } from './check';
import { createLogger } from './logger';
import type { RequestLoggerOptions } from './types';

const DEFAULT_SKIP = ['/health', '/metrics'];
const { addListener } = EventEmitter.prototype;

function defaultLevel(status: number): string {
  return status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
}

function skipper(skip: RequestLoggerOptions['skip']): (req: Request, path: string) => boolean {
  if (typeof skip === 'function') {
    let warned = false;
    // A skip function that throws (a header it reads and the request lacks) would fail the
    // request with a 500 and cost its line: the request is logged instead, with one warning.
    return (req) => {
      try {
        return skip(req);
      } catch (err) {
        if (!warned) {
          warned = true;
          process.emitWarning(
            `requestLogger(): option "skip" threw (${reasonOf(err)}); such requests are logged. Make the function return false when it cannot decide.`,
            { code: 'AI_TEAMS_LOG_SKIP' },
          );
        }
        return false;
      }
    };
  }
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const s of skip ?? DEFAULT_SKIP) {
    if (typeof s === 'string') exact.add(s);
    // types.isRegExp, not instanceof: a RegExp made in another realm (a vm context) is one too.
    else if (types.isRegExp(s)) patterns.push(s);
    else
      throw new TypeError(
        `cloudwatch-logger: \`skip\` entries must be path strings or RegExps, got ${shownValue(s)}`,
      );
  }
  return (_req, path) => exact.has(path) || patterns.some((p) => p.test(path));
}

function reasonOf(err: unknown): string {
  try {
    return String(err instanceof Error ? err.message : err).slice(0, 200);
  } catch {
    return 'unreadable error';
  }
}

function sizeOf(header: number | string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const n = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string')
    return Buffer.byteLength(
      chunk,
      typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
    );
  return chunk instanceof Uint8Array ? chunk.byteLength : 0;
}

type NodeResponse = Response & {
  _hasBody?: boolean;
  _header?: string | null;
  _headerSent?: boolean;
  outputData?: { data?: unknown }[];
};

/**
 * Whether the headers were handed to the connection: `headersSent` only says they were made
 * (`writeHead()` keeps them until the first write), and a response queued behind another on
 * its connection (HTTP pipelining) keeps them, first in its output queue, until it gets the
 * socket. Node's own fields, read for a response that did not finish only.
 */
function headerWritten(res: NodeResponse): boolean {
  const sent = res._headerSent;
  if (typeof sent !== 'boolean') return res.headersSent;
  if (!sent) return false;
  const header = res._header;
  const first = res.outputData?.[0]?.data;
  return !(typeof first === 'string' && typeof header === 'string' && first.startsWith(header));
}

/**
 * Express middleware: one access line per request when the response finishes or the
 * connection closes. Mount it after `trackingId()`.
 */
export function requestLogger(options: RequestLoggerOptions): RequestHandler {
  optionsObject(options, 'requestLogger()');
  const logger: Logger =
    loggerOption(options.logger) ?? createLogger(options as Parameters<typeof createLogger>[0]);
  const skip = skipper(skipOption(options.skip));
  const levelFor = optionalFunction(options.levelFor, 'levelFor') ?? defaultLevel;
  const now = optionalFunction(options.now, 'now') ?? performance.now.bind(performance);
  const emit = directWriter(logger);
  // createLogger()'s loggers take the request's id under REQUEST_TRACKING_ID. A logger of the
  // app's own gets the `tracking_id` field, and the symbol only when the line is written in
  // another request's context (which cloudwatchFormat() would read): `format.prettyPrint()`
  // prints symbol keys.
  const takesHandOver =
    (logger as unknown as Record<symbol, unknown>)[REQUEST_TRACKING_ID] === true;
  function handOver(meta: Record<string | symbol, unknown>, id: string): void {
    if (takesHandOver) {
      meta[REQUEST_TRACKING_ID] = id;
      return;
    }
    meta.tracking_id = id;
    const current = getTrackingId();
    if (current !== undefined && current !== id) meta[REQUEST_TRACKING_ID] = id;
  }

  // One object per request: the line's state sits on the response under the symbol of the
  // logger's service and stream, read by the shared close listener below (as otel-metrics'
  // httpMetrics() does). So a request that passes two requestLogger() writing the same service
  // to the same stream (on an app and on its mounted sub-app, each set up in full) gets one
  // line there, from the first that does not skip it; one of another service or stream writes
  // its own. A logger createLogger() did not make: a state of this requestLogger()'s own.
  const key = (logger as unknown as Record<symbol, unknown>)[ACCESS_KEY];
  const state = typeof key === 'symbol' ? key : Symbol('requestLogger');
  type Logged = Response & Record<symbol, Access | undefined>;
  type Write = (...a: unknown[]) => unknown;

  class Access {
    written = 0; // bytes written, for responses without content-length (streams, chunked)
    constructor(
      readonly req: Request,
      readonly path: string,
      readonly start: number,
      readonly socketIp: string | undefined,
      /** The request's context, restored for the line: the listener was added unbound. */
      readonly context: Context | undefined,
    ) {}
  }

  // Runs in the request's context (the line's trace ids, request context and OTLP record):
  // restored from `context` when the listener was added unbound, else by the emitter's binding
  // (res.on()). `this` is the response.
  function onClose(this: Logged): void {
    if (typeof this !== 'object' || this === null) return; // called by hand, not by the response
    this.removeListener('close', onClose);
    const a = this[state];
    if (a === undefined) return;
    if (a.context === undefined) line(this, a);
    else otelContext.with(a.context, line, undefined, this, a);
  }

  function line(res: Logged, a: Access): void {
    const req = a.req;
    try {
      logAccess(req, res, a.path, now() - a.start, a.written, a.socketIp);
    } catch (err) {
      // A failing user callback (levelFor, a getter) must not become an uncaught exception
      // in an event listener, nor cost the line.
      try {
        logger.log('error', {
          message: `${req.method} ${a.path} - ${res.statusCode}`,
          log: { note: `access line failed: ${(err as Error)?.message}` },
        } as unknown as string);
      } catch {
        // the logger itself is broken: nothing left to write with
      }
    }
  }

  // Whether the express instrumentation's wrapper around this layer has been looked at.
  let layerSettled = false;
  // Where it is mounted, checked over its first requests (see mountOrderCheck); null once done.
  let checkOrder: MountOrderCheck | undefined | null;

  return function requestLoggerMiddleware(req: Request, res: Response, next: NextFunction) {
    if (checkOrder !== null) {
      checkOrder ??= mountOrderCheck(requestLoggerMiddleware, 'requestLogger()', 'no access line');
      if (checkOrder(req, res)) checkOrder = null;
    }
    if (!layerSettled) layerSettled = unwrapSkippedLayer(req, requestLoggerMiddleware);
    // Mounted twice on the request's way (on the app, again on a router), or another
    // requestLogger() of the same service before it: one line.
    if ((res as Logged)[state] !== undefined) return next();
    const path = requestPath(req.originalUrl || req.url);
    if (skip(req, path)) return next();
    const start = now();
    // Read now: once the client has gone, the destroyed socket no longer knows its peer, and
    // the aborted request's line would lose the address (Node keeps it after a first read).
    const socketIp = req.socket?.remoteAddress;
    // The route's mounts are kept when it matches: by the time the response ends, an error on
    // its way to the error handler (or Express's own) has unwound them (`req.baseUrl` then
    // says the parent's, or nothing at all). Installed once; nothing is made per request.
    hookRoutes(req);
    // With this request's server span active (the usual case under the SDK, after trackingId()),
    // the context is kept and the close listener added unbound below: the http
    // instrumentation's binding of `res.on()` wraps each listener in a closure of its own and
    // records it in a map, per request.
    const ctx = serverContext(req);
    const a = new Access(req, path, start, socketIp, ctx);
    (res as Logged)[state] = a;
    const write = res.write as Write;
    const end = res.end as Write;
    // Closures over the state, not shared functions reading it from `this`: a write method an
    // app detached or bound (`const write = res.write; write(chunk)`) keeps working, as it did
    // without this middleware.
    res.write = function (this: unknown, chunk: unknown, encoding?: unknown) {
      a.written += byteLength(chunk, encoding);
      // eslint-disable-next-line prefer-rest-params -- apply(arguments): no array per call
      return write.apply(this, arguments as never);
    } as Response['write'];
    res.end = function (this: unknown, chunk?: unknown, encoding?: unknown) {
      if (chunk !== undefined && typeof chunk !== 'function')
        a.written += byteLength(chunk, encoding);
      // eslint-disable-next-line prefer-rest-params -- apply(arguments): no array per call
      return end.apply(this, arguments as never);
    } as Response['end'];
    // Node emits 'close' on every response, right after 'finish' or when the client went away
    // first (then writableFinished is false): one listener, one line, no double logging. It
    // gets room of its own under the leak warning's limit (see makeListenerRoom()).
    makeListenerRoom(res);
    closeWhenConnectionCloses(res); // Node < 24.16 forgets a queued response's 'close'
    if (ctx === undefined) res.on('close', onClose);
    else addListener.call(res, 'close', onClose);
    // Closed already: the client left while a middleware before this one was still waiting.
    if (res.closed) onClose.call(res as Logged);
    next();
  };

  function logAccess(
    req: Request,
    res: Response,
    path: string,
    ms: number,
    written: number,
    socketIp: string | undefined,
  ) {
    const aborted = !res.writableFinished;
    // A response that did not finish reads 499 when the client went away (nginx's "client closed
    // request"), 500 when the server cut it, the status Node answered when Node closed the
    // connection (408, 400): as otel-metrics' request_count counts it.
    const status = finalStatus(res);
    const request: Record<string, unknown> = {
      method: req.method,
      path,
      duration: Math.round(ms * 1000) / 1_000_000,
    };
    const route = matchedRouteTemplate(req);
    if (route !== undefined) request.route = route;
    const reqSize = sizeOf(req.headers['content-length']);
    if (reqSize !== undefined) request.size = reqSize;
    const ua = req.headers['user-agent'];
    if (ua !== undefined) request.user_agent = ua;
    // Without X-Forwarded-For, Express's req.ip is the socket address whatever 'trust proxy'
    // says; only a forwarded request needs its (costly) proxy-address walk.
    request.ip = (req.headers['x-forwarded-for'] === undefined ? undefined : req.ip) ?? socketIp;
    // Whether the status line was written to the connection (the client may not have got it,
    // if the connection broke first); nothing of a response whose headers were not was sent.
    const headerOut = !aborted || headerWritten(res);
    const response: Record<string, unknown> = {
      status,
      // Node drops the body of an answer to HEAD, a 204, a 304 and a 1xx, written or announced.
      size:
        !headerOut || (res as NodeResponse)._hasBody === false
          ? 0
          : (sizeOf(res.getHeader('content-length')) ?? written),
    };
    const type = res.getHeader('content-type');
    if (type !== undefined) response.content_type = String(type);
    if (aborted) {
      response.aborted = true;
      if (headerOut) response.status_sent = res.statusCode;
    }
    // The level follows the status the app set (an aborted 500 stays an error), raised below:
    // a client that left or a request Node refused is a warning, a response the server cut an
    // error (also one whose status markServerCut() made 500). An event stream its client closed
    // ends with the status it sent: not raised.
    let level = levelFor(res.statusCode, req, res);
    if (logger.levels[level] === undefined) level = defaultLevel(res.statusCode);
    if (aborted && level !== 'error' && (status >= 500 || status !== res.statusCode))
      level = status >= 500 ? 'error' : 'warn';
    const meta: Record<string | symbol, unknown> = {
      message: `${req.method} ${path} - ${status}`,
      request,
      response,
    };
    meta[ACCESS] = true;
    const trackingId = (req as { trackingId?: unknown }).trackingId;
    if (typeof trackingId === 'string') handOver(meta, trackingId);
    // The error handler's, else, for a response the server cut, the error it was destroyed with:
    // a failed stream.pipeline() closes the response before its callback reaches the handler.
    const error = res.locals?.error ?? (aborted && status >= 500 ? res.errored : undefined);
    if (error instanceof Error) meta.error = error;
    emit(level, meta);
  }
}
