import { format, type Logform } from 'winston';
import type TransportStream from 'winston-transport';
import type { RenderConfig } from './config';
import { isError } from './errors';
import { REDACTED } from './redact';
import { messageOf } from './render';
import { OMIT, sanitize, truncate, type Walk } from './sanitize';

type Info = Record<string | symbol, unknown>;

/** Marks the format below; its value says whether access records pass it unchanged. */
export const OTLP_SAFE = Symbol.for('@ai-teams/cloudwatch-logger/otlp-safe');

/** Longest stack kept on an error attribute. */
const MAX_STACK = 8192;

/** The keys `requestLogger()`'s own access records hold (see `isOwnAccessRecord`). */
const ACCESS_KEYS = [
  'request',
  'response',
  'tracking_id',
  'method',
  'path',
  'route',
  'duration',
  'size',
  'user_agent',
  'ip',
  'status',
  'content_type',
  'aborted',
];

/** An Error as the OTLP record's attribute: the OpenTelemetry transport's shape, bounded. */
function errorAttribute(err: Error, w: Walk): unknown {
  const read = (key: string): unknown => {
    try {
      return (err as unknown as Record<string, unknown>)[key];
    } catch {
      return undefined;
    }
  };
  const out: Record<string, unknown> = {};
  for (const key of ['name', 'message', 'code'] as const) {
    const v = read(key);
    if (v !== undefined) out[key] = sanitize(v, w);
  }
  const stack = read('stack');
  if (typeof stack === 'string') out.stack = truncate(stack, MAX_STACK);
  return out;
}

/**
 * The OTLP copy of a record made as safe as its JSON line: the same redaction, at any depth
 * and in an object passed as the message; circular references, BigInt, throwing getters and
 * the like turned into JSON-safe values; strings cut at `maxEventBytes / 16` and at most
 * `maxFields` leaves. Without it `@opentelemetry/winston-transport` ships the caller's values
 * as they are (secrets included), and drops the whole record when one of them throws.
 * It works on the transport's own copy of the record (winston-transport makes one for a
 * transport's format), so the JSON line is not affected.
 */
export function otlpSafeFormat(cfg: RenderConfig): Logform.Format {
  const maxString = Math.max(256, cfg.maxEventBytes >> 4);
  const redact = cfg.redact;
  const f = format((info: Info) => {
    const w: Walk = { remaining: cfg.maxFields, dropped: 0, maxString, redact };
    const message = info.message;
    info.message =
      typeof message === 'string'
        ? truncate(message, maxString)
        : messageOf(message, maxString, redact);
    for (const key of Object.keys(info)) {
      if (key === 'level' || key === 'message') continue;
      if (redact?.(key)) {
        info[key] = REDACTED;
        continue;
      }
      let raw: unknown;
      try {
        raw = info[key];
      } catch (e) {
        raw = `[Throws: ${messageOf(e, 200)}]`;
      }
      const v = isError(raw) ? errorAttribute(raw, w) : sanitize(raw, w);
      if (v === OMIT) delete info[key];
      else info[key] = v;
    }
    return info as Logform.TransformableInfo;
  })();
  // Access records hold short strings and numbers under these keys: safe as they are, unless a
  // redaction rule names one of them.
  Object.defineProperty(f, OTLP_SAFE, { value: !ACCESS_KEYS.some((k) => redact?.(k)) });
  return f;
}

/** Gives each OpenTelemetry transport of the logger that has no format of its own this one. */
export function protectOtlpCopies(
  transports: TransportStream[],
  cfg: RenderConfig,
  isOtel: (t: TransportStream) => boolean,
): void {
  let safe: Logform.Format | undefined;
  for (const t of transports) {
    if (isOtel(t) && !t.format) t.format = safe ??= otlpSafeFormat(cfg);
  }
}
