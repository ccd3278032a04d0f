import type TransportStream from 'winston-transport';
import type { RenderConfig } from './config';
import { redactsAccessKeys } from './access-line';
import { isError, read } from './errors';
import { moveCause, type CallerValues } from './otlp-cause';
import { REDACTED } from './redact';
import { messageOf } from './render';
import { OMIT, sanitize, setField, truncate, type Walk } from './sanitize';

type Info = Record<string | symbol, unknown>;
type Log = (info: Info, next: () => void) => unknown;

/**
 * Set on an OpenTelemetry transport whose `log()` makes its records safe (below); true when
 * access records pass unchanged, so they may skip `log()` (see `otelLoggerOf`).
 */
export const OTLP_SAFE = Symbol.for('@ai-teams/cloudwatch-logger/otlp-safe');

/** Longest stack kept on an error, and how deep causes are followed. */
const MAX_STACK = 8192;
const MAX_CAUSES = 3;

/**
 * An Error as the OpenTelemetry transport reads one (`name`, `message`, `stack`, `code`, and
 * its `cause`), bounded, as a plain object. The cause of the record's exception is then made
 * `error.cause.*` attributes by `moveCause()`.
 */
function errorLike(err: Error, w: Walk, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['name', 'message', 'code'] as const) {
    const v = read(err, key);
    if (v !== undefined) out[key] = sanitize(v, w);
  }
  const stack = read(err, 'stack');
  if (typeof stack === 'string') out.stack = truncate(stack, MAX_STACK);
  const cause = read(err, 'cause');
  if (cause !== undefined) {
    out.cause =
      isError(cause) && depth < MAX_CAUSES ? errorLike(cause, w, depth + 1) : sanitize(cause, w);
  }
  return out;
}

const SPLAT = Symbol.for('splat');
/** What the transport reads of an extra argument of the call to make it the exception. */
const EXCEPTION_KEYS = ['code', 'name', 'message', 'stack'] as const;

/**
 * The call's arguments after the message (winston's splat), where the transport looks for the
 * record's exception and reads `code`, `name`, `message` and `stack` of each object as they are:
 * one whose reads throw (a revoked proxy, a throwing getter) lost the whole record, and an
 * Error's message went out uncut. An Error becomes its bounded copy; another object with any of
 * those fields a bounded plain object of them (one that throws leaves its field out); the
 * others, the meta among them, stay as they are (four reads each). A string there is the
 * exception's message as it is (an upstream's body passed after the meta): cut as every string.
 */
function safeSplat(splat: unknown[], w: Walk): unknown[] {
  return splat.map((item) => {
    if (typeof item === 'string') return truncate(item, w.maxString);
    if (typeof item !== 'object' || item === null) return item;
    if (isError(item)) return errorLike(item, w);
    let safe: Record<string, unknown> | undefined;
    let threw = false;
    for (const key of EXCEPTION_KEYS) {
      let v: unknown;
      try {
        v = (item as Record<string, unknown>)[key];
      } catch {
        threw = true;
        continue;
      }
      if (v === undefined || v === null) continue;
      const s = sanitize(v, w);
      if (s !== OMIT) (safe ??= {})[key] = s;
    }
    return safe ?? (threw ? {} : item);
  });
}

/**
 * The OTLP copy of a record made as safe as its JSON line, as a new object (the record itself is
 * left as it is for the other transports): the same redaction, at any depth and in an object
 * passed as the message; circular references, BigInt, throwing getters and the like turned into
 * JSON-safe values; strings cut at `maxEventBytes / 16` and at most `maxFields` leaves. Errors
 * keep what the transport makes `exception.*` of; a record that is an Error (`logger.error(err)`)
 * keeps its message and stack; the exception's cause is the line's `error.cause`, as flat
 * `error.cause.*` attributes.
 */
function safeRecord(info: Info, cfg: RenderConfig, maxString: number): Info {
  const redact = cfg.redact;
  const w: Walk = { remaining: cfg.maxFields, dropped: 0, maxString, redact };
  const out: Info = {};
  copySymbols(info, out);
  const splat = out[SPLAT];
  // A walk of its own: the fields of the record keep their budget.
  if (Array.isArray(splat)) out[SPLAT] = safeSplat(splat, { ...w });
  const caller: CallerValues = { splat: Array.isArray(splat) ? splat : undefined };
  const message = read(info, 'message');
  out.level = read(info, 'level');
  out.message =
    typeof message === 'string'
      ? truncate(message, maxString)
      : messageOf(message, maxString, redact);
  const isErrorRecord = isError(info);
  if (isErrorRecord) Object.assign(out, errorLike(info, w), { message: out.message });
  for (const key of ownKeys(info)) {
    if (key === 'level' || key === 'message') continue;
    if (redact?.(key)) {
      out[key] = REDACTED;
      continue;
    }
    let raw: unknown;
    try {
      raw = info[key];
    } catch (e) {
      raw = `[Throws: ${messageOf(e, 200)}]`;
    }
    if (key === 'err' || key === 'error') caller[key] = raw;
    const v = isError(raw) ? errorLike(raw, w) : sanitize(raw, w);
    if (v !== OMIT) setField(out, key, v);
  }
  // Only where an exception can come from: a record without one (an access line) pays nothing.
  if (isErrorRecord || caller.err !== undefined || caller.error !== undefined || caller.splat)
    moveCause(out, info, caller, redact, maxString, MAX_STACK);
  return out;
}

const LEVEL = Symbol.for('level');

/**
 * The record's symbol keys onto `out`: its level, the splat, the context the winston
 * instrumentation attached. A record whose keys cannot be listed (a Proxy passed as the record,
 * `logger.error(proxy)`, whose `ownKeys` trap throws) gives its level alone: the transport needs
 * it, and a throw here would leave the transport waiting for this record forever, and winston's
 * back-pressure then stops the whole logger.
 */
function copySymbols(info: Info, out: Info): void {
  try {
    for (const sym of Object.getOwnPropertySymbols(info)) out[sym] = info[sym];
  } catch {
    try {
      out[LEVEL] = info[LEVEL];
    } catch {
      // no level to give: the transport's default severity
    }
  }
}

/** `Object.keys(info)`, none when its `ownKeys` trap throws (its message and stack still read). */
function ownKeys(info: Info): string[] {
  try {
    return Object.keys(info);
  } catch {
    return [];
  }
}

/** The record's level symbols and level, with a note for a message. */
function fallbackRecord(info: Info, err: unknown): Info {
  const out: Info = {};
  copySymbols(info, out);
  out.level = read(info, 'level');
  out.message = `[record not loggable: ${messageOf(err, 200)}]`;
  return out;
}

/**
 * Makes each OpenTelemetry transport of the logger (present when it is made: the winston
 * instrumentation adds its own then) hand safe records to the Logs API: without it,
 * `@opentelemetry/winston-transport` ships the caller's values as they are (secrets included)
 * and loses the whole record when one of them throws. Its `log()` is wrapped rather than given
 * a winston format, which would see only a copy of the record's enumerable keys (an Error's
 * message and stack are not).
 */
export function protectOtlpCopies(
  transports: TransportStream[],
  cfg: RenderConfig,
  isOtel: (t: TransportStream) => boolean,
): void {
  const accessUnchanged = !redactsAccessKeys(cfg.redact);
  const maxString = Math.max(256, cfg.maxEventBytes >> 4);
  for (const t of transports) {
    if (!isOtel(t) || (t as unknown as Info)[OTLP_SAFE] !== undefined) continue;
    const log = t.log as unknown as Log;
    t.log = function (this: TransportStream, info: Info, next: () => void) {
      let record: Info;
      try {
        record = safeRecord(info, cfg, maxString);
      } catch (err) {
        // Not expected (every user value is read guarded), but a throw here would leave the
        // transport waiting for this record forever, and the logger with it.
        record = fallbackRecord(info, err);
      }
      return log.call(this, record, next);
    } as unknown as TransportStream['log'];
    Object.defineProperty(t, OTLP_SAFE, { value: accessUnchanged });
  }
}
