import type { ErrorRequestHandler, Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { types } from 'node:util';
import { trace } from '@opentelemetry/api';
import {
  closeWhenConnectionCloses,
  finalStatus,
  getTrackingId,
  markErrorHandler,
  markServerCut,
  REQUEST_TRACKING_ID,
  requestPath,
  runInRequestContext,
} from '@ai-teams/tracking-id';
import {
  MAX_NAME_LENGTH,
  describeError,
  isError,
  read,
  truncate,
  type DescribedError,
} from './describe';
import { limitsOption, optionalString, optionsObject } from './check';
import { DESCRIBED } from './format';
import { markFailed, recordException, serverSpan, targetSpan, traceIdOf } from './spans';
import type { ErrorHandlerOptions } from './types';

const DEV_ENVIRONMENTS = new Set(['dev', 'development', 'local']);

/** http-errors' fields, read from whatever was thrown. */
interface HttpErrorFields {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  code?: unknown;
  type?: unknown;
}

/** The http-errors fields of whatever was thrown, each read on its own: a getter may throw. */
function fieldsOf(value: unknown): HttpErrorFields {
  return {
    status: read(value, 'status'),
    statusCode: read(value, 'statusCode'),
    expose: read(value, 'expose'),
    code: read(value, 'code'),
    type: read(value, 'type'),
  };
}

function isErrorStatus(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599;
}

/**
 * `err.status`, else `err.statusCode`, when it is a number from 400 to 599, else 500: the
 * status Express's own final handler would answer with.
 */
function statusOf(fields: HttpErrorFields): number {
  if (isErrorStatus(fields.status)) return fields.status;
  if (isErrorStatus(fields.statusCode)) return fields.statusCode;
  return 500;
}

/** The request's tracking id: tracking-id's, else the trace id, sampled or not. */
function trackingIdOf(req: Request, res: Response): string | null {
  const fromRequest = (req as { trackingId?: unknown }).trackingId ?? res.locals?.trackingId;
  if (typeof fromRequest === 'string' && fromRequest) return fromRequest;
  return traceIdOf(trace.getActiveSpan()) ?? traceIdOf(serverSpan()) ?? null;
}

/**
 * Whether the client went away before the error reached the handler: its connection is gone and
 * the request ends with a status below 500 as `finalStatus()` reads it (the app did not destroy
 * the response with an error; a queued response's ECONNRESET from Node is no such error). The
 * error then reports the client's leaving (`res.sendFile()`'s "Request aborted", ECONNABORTED):
 * no server failure, and the access line and metrics read 499 as for any client that left.
 */
function clientLeft(req: Request, res: Response): boolean {
  try {
    return req.socket?.destroyed === true && finalStatus(res) < 500;
  } catch {
    return false;
  }
}

/**
 * Whether nothing can be answered any more: the request's connection is closed, or the response
 * itself was destroyed (one queued behind another on a pipelined connection has no socket yet:
 * the app's res.destroy() leaves the connection open).
 */
function connectionGone(req: Request, res: Response): boolean {
  try {
    return res.destroyed === true || req.socket?.destroyed === true;
  } catch {
    return false;
  }
}

/** The thrown Error's prototype (its class), when it is a plain one; else Error's own. */
function prototypeOf(value: unknown): object {
  try {
    const proto: unknown = Object.getPrototypeOf(value);
    if (
      typeof proto === 'object' &&
      proto !== null &&
      !types.isProxy(proto) &&
      (proto === Error.prototype || proto instanceof Error)
    )
      return proto;
  } catch {
    // a proxy whose getPrototypeOf trap throws: no class to keep
  }
  return Error.prototype;
}

function hidden(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true });
}

/**
 * The Error the logger is given: of the thrown Error's class, built from the values read above
 * (bounded, each read once), so a getter of the thrown value cannot throw inside the logger.
 * An Error, so a logger that formats Errors formats this one as it does
 * `logger.error(msg, { error: err })` (cloudwatch-logger: its `stackTrace` policy,
 * `error.category`). Its JSON, for loggers that stringify meta (winston's `json()`), is the
 * `{ type, code, message, stack }` the handler always logged.
 */
function loggedError(error: DescribedError, fields: HttpErrorFields): Error {
  const logged = Object.create(prototypeOf(error.original)) as Error;
  hidden(logged, 'name', error.type);
  hidden(logged, 'message', error.message);
  hidden(logged, 'stack', error.stack);
  const code = fields.code;
  if (code !== undefined) hidden(logged, 'code', code);
  for (const key of ['status', 'statusCode'] as const) {
    if (typeof fields[key] === 'number') hidden(logged, key, fields[key]);
  }
  const category = read(error.original, 'category');
  if (typeof category === 'string') hidden(logged, 'category', truncate(category, MAX_NAME_LENGTH));
  // The cause as it is: a logger bounds what it shows of it (cloudwatch-logger: error.cause).
  const cause = read(error.original, 'cause');
  if (cause !== undefined) hidden(logged, 'cause', cause);
  const json = { type: error.type, code: code ?? null, message: error.message, stack: error.stack };
  hidden(logged, 'toJSON', () => json);
  return logged;
}

function statusText(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

function body(
  error: DescribedError,
  fields: HttpErrorFields,
  status: number,
  trackingId: string | null,
  dev: boolean,
) {
  // http-errors semantics: 4xx messages are for the client, 5xx ones are not (unless expose).
  const expose = dev || (typeof fields.expose === 'boolean' ? fields.expose : status < 500);
  const code = fields.code;
  return {
    error: {
      type: expose
        ? typeof fields.type === 'string'
          ? truncate(fields.type, MAX_NAME_LENGTH)
          : error.type
        : statusText(status).replace(/[^A-Za-z]/g, ''),
      code:
        expose && (typeof code === 'string' || typeof code === 'number')
          ? truncate(String(code), MAX_NAME_LENGTH)
          : null,
      message: expose ? error.message : statusText(status),
      ...(dev && error.stack ? { stack: error.stack } : {}),
    },
    tracking_id: trackingId,
  };
}

/**
 * Express error-handling middleware: records the error on the active span (exception, and
 * status ERROR for a 5xx), logs it (5xx at error, 4xx at warn) and answers
 * `{ error: { type, code, message }, tracking_id }` with `err.status` / `err.statusCode` or 500.
 */
export function errorHandler(options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  options = optionsObject('errorHandler()', options);
  // DEPLOYMENT_ENVIRONMENT first, as @ai-teams/telemetry and otel-metrics read it: a service
  // they call prod never shows stacks because NODE_ENV happens to say development.
  const env = process.env;
  const environment =
    optionalString('errorHandler()', 'environment', options.environment) ??
    env.DEPLOYMENT_ENVIRONMENT ??
    env.ENVIRONMENT ??
    env.NODE_ENV ??
    'prod';
  const dev = DEV_ENVIRONMENTS.has(environment.toLowerCase());
  const logger = options.logger;
  if (logger != null && (typeof logger.error !== 'function' || typeof logger.warn !== 'function')) {
    throw new TypeError(
      'errorHandler(): option "logger" must have error(message, meta) and warn(message, meta) methods, e.g. a winston logger',
    );
  }
  // createLogger()'s loggers (and their children) say they take REQUEST_TRACKING_ID.
  const takesHandOver =
    (logger as unknown as Record<symbol, unknown> | undefined)?.[REQUEST_TRACKING_ID] === true;
  const limits = limitsOption('errorHandler()', options);

  function log(
    error: DescribedError,
    fields: HttpErrorFields,
    status: number,
    level: 'error' | 'warn',
    trackingId: string | null,
    req: Request,
  ): void {
    if (!logger) return;
    try {
      const meta: Record<string | symbol, unknown> = {
        tracking_id: trackingId,
        request: { method: req.method, path: requestPath(req.originalUrl ?? req.url) },
        response: { status },
        error: loggedError(error, fields),
        [DESCRIBED]: error,
      };
      // The request's own id, also in a callback that lost its context, for cloudwatch-logger's
      // format, which trusts it over the current context's. Handed to another logger only when
      // that context is another request's: `format.prettyPrint()` prints symbol keys.
      if (takesHandOver) meta[REQUEST_TRACKING_ID] = trackingId;
      else if (trackingId !== null) {
        const current = getTrackingId();
        if (current !== undefined && current !== trackingId) meta[REQUEST_TRACKING_ID] = trackingId;
      }
      logger[level](error.message, meta);
    } catch {
      // A failing logger must not cost the client its answer.
    }
  }

  function handle(err: unknown, req: Request, res: Response): void {
    const error = describeError(err, limits);
    const fields = fieldsOf(err);
    // Where access loggers (cloudwatch-logger's requestLogger) look for the request's error.
    if (isError(err) && res.locals && res.locals.error === undefined) res.locals.error = err;
    const trackingId = trackingIdOf(req, res);
    // Headers already sent: too late for an answer of ours. The connection is cut below and the
    // client gets a cut-off response, a server failure whatever was sent, unless the client had
    // already left and the error only reports that.
    const sent = res.headersSent;
    // The connection closed before any answer (a client that abandoned its upload: multer's
    // "Request aborted", body-parser's "request aborted"): no one to answer. The request ends
    // with the status tracking-id's finalStatus() gives it, as the access line and the metrics
    // read it (499 for a client that left); an answer written now would only set
    // res.statusCode, which the server span reads when the response closes: a 500 and ERROR
    // beside a 499 line.
    const gone = !sent && !res.writableEnded && connectionGone(req, res);
    const status = gone ? finalStatus(res) : sent ? res.statusCode : statusOf(fields);
    const left = gone ? status < 500 : sent && clientLeft(req, res);
    // OpenTelemetry HTTP semantic conventions: a 4xx is the client's error, not the server's.
    const failed = gone ? !left : (sent && !left) || status >= 500;
    const span = targetSpan();
    if (span) {
      recordException(span, error);
      if (failed) markFailed(span, error.type, error.message);
    }
    log(error, fields, status, failed ? 'error' : 'warn', trackingId, req);
    if (gone) {
      // The server cut it (the app destroyed the connection with an error of its own): the
      // span's status code reads 500 too. A client that left is left as it is.
      if (failed) markServerCut(res);
      return;
    }
    if (sent) {
      // A response the app already ended is whole, or on its way: nothing left to cut. Its
      // connection may be carrying the next request by now (keep-alive), which a cut would fail.
      if (res.writableEnded) return;
      // The access line and the metrics then read 500, not the 499 of a client that left.
      if (!left) markServerCut(res);
      // Cut, as Express's default handler would ("cannot actually respond"), without the stack
      // it prints on stderr outside env 'test' beside the JSON line logged above. The
      // response's own connection: one queued behind another (pipelining) is cut when its turn
      // comes, before its bytes go out, not the one in flight ahead of it (see
      // closeWhenConnectionCloses(), which does that on every Node).
      closeWhenConnectionCloses(res);
      res.destroy();
      return;
    }
    res.status(status).json(body(error, fields, status, trackingId, dev));
  }

  // Four parameters: Express calls a function of four with errors only. In the request's own
  // context: an error a pool or queue hands back in another request's context is still logged
  // with its request's id, user and trace, and goes on its request's spans.
  const handler: ErrorRequestHandler = function errorHandlerMiddleware(err, req, res, _next) {
    runInRequestContext(req, () => handle(err, req, res));
  };
  // Mounted before the routes, it never sees their errors: the packages' middleware say so.
  markErrorHandler(handler, 'errorHandler()');
  return handler;
}
