import type { AttributeValue } from '@opentelemetry/api';

/** Bounds on what one error may put on a span, so a huge error cannot bloat a trace. */
export interface ErrorLimits {
  /**
   * Longest message (event `log.message`, exception message, status message), in characters.
   * @default 1024
   */
  maxMessageLength?: number | undefined;
  /**
   * Longest stack trace recorded on the `exception` event, in characters.
   * @default 8192
   */
  maxStackLength?: number | undefined;
}

/** Options of `errorSpanEvents()`. */
export interface ErrorSpanEventsOptions extends ErrorLimits {
  /**
   * Lowest level that goes onto the span: this level and every more severe one.
   * @default 'error'
   */
  level?: string | undefined;
  /**
   * The logger's level map (lower number = more severe), as given to `winston.createLogger`.
   * @default winston's npm levels: { error: 0, warn: 1, info: 2, http: 3, verbose: 4, debug: 5, silly: 6 }
   */
  levels?: Record<string, number> | undefined;
  /**
   * Value of `log.logger` on the event.
   * @default the record's `logger` field, else its `service` field, else omitted
   */
  loggerName?: string | undefined;
  /**
   * Name of the span event added for each record.
   * @default 'error_log'
   */
  eventName?: string | undefined;
}

/** Extra attributes for `recordErrorOnSpan()`; they override the computed ones. */
export type ErrorEventAttributes = Record<string, AttributeValue | undefined>;

/** The logger `errorHandler()` writes to: a winston logger fits, and so does most others. */
export interface ErrorLogger {
  /** Called for a 5xx, with the error under `error` and the request's fields in `meta`. */
  error(message: string, meta: Record<string | symbol, unknown>): unknown;
  /** Called for a 4xx, with the same meta. */
  warn(message: string, meta: Record<string | symbol, unknown>): unknown;
}

/** Options of `errorHandler()`. */
export interface ErrorHandlerOptions extends ErrorLimits {
  /**
   * Where the error is logged: `error` for a 5xx, `warn` for a 4xx.
   * @default none: the handler only answers and records the error on the span
   */
  logger?: ErrorLogger | undefined;
  /**
   * Deployment environment. In `dev` / `development` / `local` a 5xx answer carries the
   * real message and `error.stack`; anywhere else it carries the status text and no stack.
   * @default DEPLOYMENT_ENVIRONMENT ?? ENVIRONMENT ?? NODE_ENV ?? 'prod' (read at start-up)
   */
  environment?: string | undefined;
}
