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
  for (const key of Object.keys(info)) if (!RECORD_KEYS.has(key)) return false;
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
  const service = `,"service":${JSON.stringify(cfg.service)},"tracking_id":`;

  function value(v: unknown): string | undefined {
    if (typeof v === 'string') return v.length <= maxString ? JSON.stringify(v) : undefined;
    if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    return undefined;
  }

  function object(o: unknown, allowed: Set<string>): string | undefined {
    if (typeof o !== 'object' || o === null || Object.getPrototypeOf(o) !== Object.prototype)
      return undefined;
    let json = '';
    for (const key of Object.keys(o)) {
      if (!allowed.has(key)) return undefined;
      const v = (o as Record<string, unknown>)[key];
      if (v === undefined) continue;
      const text = value(v);
      if (text === undefined) return undefined;
      json += `${json === '' ? '{' : ','}"${key}":${text}`;
    }
    return json === '' ? '{}' : `${json}}`;
  }

  return (info, ctx, ts) => {
    if (!isOwnAccessRecord(info)) return undefined;
    const level = info.level;
    const message = info.message;
    const tracking = info.tracking_id;
    if (typeof level !== 'string' || typeof message !== 'string' || message.length > maxString)
      return undefined;
    const request = object(info.request, REQUEST_KEYS);
    const response = object(info.response, RESPONSE_KEYS);
    if (request === undefined || response === undefined) return undefined;
    let trackingJson = '"unknown"';
    if (typeof tracking === 'string') {
      if (tracking.length > 64) return undefined;
      trackingJson = JSON.stringify(tracking);
    }
    let line =
      `{"@timestamp":"${ts}","@level":${JSON.stringify(levelLabel(level))}` +
      `,"@message":${JSON.stringify(message)}${service}${trackingJson}` +
      `,"request":${request},"response":${response}`;
    // Ids from a valid span context: lower-case hex, nothing to escape.
    if (ctx.traceId) line += `,"tracing":{"trace_id":"${ctx.traceId}","span_id":"${ctx.spanId}"}`;
    line += '}';
    return line.length * 3 <= cfg.maxEventBytes ? line : undefined;
  };
}
