import type { LineContext } from './context';
import { levelLabel } from './levels';
import type { RenderConfig } from './config';

/** Marks the records of `requestLogger()`: their request{} and response{} are its own. */
export const ACCESS = Symbol.for('@ai-teams/cloudwatch-logger/access');

const REQUEST_KEYS = new Set(['method', 'path', 'route', 'duration', 'size', 'user_agent', 'ip']);
const RESPONSE_KEYS = new Set(['status', 'size', 'content_type', 'aborted', 'status_sent']);
/** What an access record holds when nothing else (request context, error, meta) joined it. */
const RECORD_KEYS = new Set(['level', 'message', 'request', 'response', 'tracking_id']);

type Info = Record<string | symbol, unknown>;

/** Whether a redaction rule names a key of an access record of the usual shape. */
export function redactsAccessKeys(redact: ((key: string) => boolean) | undefined): boolean {
  if (!redact) return false;
  return [...RECORD_KEYS, ...REQUEST_KEYS, ...RESPONSE_KEYS].some((k) => redact(k));
}

/**
 * An access record of the usual shape: made by `requestLogger()` and holding only its own
 * keys, so nothing but this package ever holds its objects (its request{} and response{} are
 * made for the line). Such a record can be rendered after the call without changing the line.
 */
export function isOwnAccessRecord(info: Info): boolean {
  if (info[ACCESS] !== true) return false;
  // for…in, not Object.keys(): no array per record (symbols are skipped either way; an
  // enumerable key inherited from a tampered prototype fails the test, the safe way).
  for (const key in info) if (!RECORD_KEYS.has(key)) return false;
  return true;
}

/**
 * The access line written straight to JSON: the same line, field for field and in the same
 * order, as the generic renderer makes, without its copy of every value. It only takes records of
 * the usual shape, made of strings, numbers and booleans under the names above; anything else
 * (request context, an error, defaultMeta, a redaction rule naming one of these keys, a line
 * near `maxEventBytes`) returns undefined and goes the generic way.
 */
export function accessLineRenderer(
  cfg: RenderConfig,
): (info: Info, ctx: LineContext, ts: string) => string | undefined {
  const tracingKeys = ['tracing', 'trace_id', 'span_id'];
  if (redactsAccessKeys(cfg.redact) || tracingKeys.some((k) => cfg.redact?.(k)))
    return () => undefined;
  // At most four client-sent strings (path, route, user agent, message): together under the cap.
  const maxString = cfg.maxEventBytes >> 3;
  const service = cfg.service;

  function isValue(v: unknown): boolean {
    if (typeof v === 'string') return v.length <= maxString;
    return typeof v === 'number' || typeof v === 'boolean';
  }

  /** A plain object of the allowed keys and primitive values: JSON.stringify() writes it as is. */
  function isFlat(o: unknown, allowed: Set<string>): boolean {
    if (typeof o !== 'object' || o === null || Object.getPrototypeOf(o) !== Object.prototype)
      return false;
    for (const key in o) {
      if (!allowed.has(key)) return false;
      const v = (o as Record<string, unknown>)[key];
      if (v !== undefined && !isValue(v)) return false;
    }
    return true;
  }

  return (info, ctx, ts) => {
    if (!isOwnAccessRecord(info)) return undefined;
    const level = info.level;
    const message = info.message;
    const tracking = info.tracking_id;
    if (typeof level !== 'string' || typeof message !== 'string' || message.length > maxString)
      return undefined;
    const request = info.request;
    const response = info.response;
    if (!isFlat(request, REQUEST_KEYS) || !isFlat(response, RESPONSE_KEYS)) return undefined;
    if (typeof tracking === 'string' && tracking.length > 64) return undefined;
    // One JSON.stringify() of the line's own object: the generic renderer's keys in its order,
    // and its escaping and number formatting (a non-finite number is null in both), with far
    // less garbage than joining the line from its escaped parts.
    // `tracing` undefined is left out, as the generic renderer leaves it out without a span.
    const traceId = ctx.traceId;
    const line = JSON.stringify({
      '@timestamp': ts,
      '@level': levelLabel(level),
      '@message': message,
      service,
      tracking_id: typeof tracking === 'string' ? tracking : 'unknown',
      request,
      response,
      tracing: traceId ? { trace_id: traceId, span_id: ctx.spanId } : undefined,
    });
    return line.length * 3 <= cfg.maxEventBytes ? line : undefined;
  };
}
