/** Options of `trackingId()`. */
export interface TrackingIdOptions {
  /**
   * Response header that carries the id (and the request header read when `trustIncoming`).
   * @default 'X-Tracking-ID'
   */
  header?: string | undefined;
  /**
   * Span attribute set on the request's server span.
   * @default 'tracking.id'
   */
  attributeName?: string | undefined;
  /**
   * Accept a client-sent tracking header when no valid trace context exists. Only a 32-hex,
   * non-zero value is taken (lower-cased); anything else is replaced by a generated id.
   * @default false
   */
  trustIncoming?: boolean | undefined;
  /**
   * Add the header name to `Access-Control-Expose-Headers` so browsers can read it.
   * @default true
   */
  exposeHeader?: boolean | undefined;
  /**
   * Id generator used when there is neither a valid span context nor a valid `traceparent`.
   * Its result is validated; an invalid value falls back to the built-in generator.
   * @default random 16 bytes as 32 lower-case hex, never all zeros
   */
  generateId?: (() => string) | undefined;
}

/** Business context of one request, put on its server span and into its log lines. */
export interface RequestContext {
  /** The caller: `user.id`, `user.segment` on the span. */
  user?:
    { id?: string | undefined; segment?: string | undefined; [key: string]: unknown } | undefined;
  /** The session: `session.id` on the span. */
  session?: { id?: string | undefined; [key: string]: unknown } | undefined;
  /** The workflow: `workflow.id`, `workflow.type`, … on the span. */
  workflow?:
    { id?: string | undefined; type?: string | undefined; [key: string]: unknown } | undefined;
  /** The operation: `operation.name`, `operation.type`, … on the span. */
  operation?:
    { name?: string | undefined; type?: string | undefined; [key: string]: unknown } | undefined;
}

declare global {
  // Express's own augmentation point: the same for @types/express 4 and 5.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `trackingId()`: the request's tracking id (32 lower-case hex). */
      trackingId?: string;
    }
  }
}
