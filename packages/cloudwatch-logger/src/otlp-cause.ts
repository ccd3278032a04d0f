import { causeOf, isError, read, safeString, statusOf } from './errors';
import { truncate } from './sanitize';

type Info = Record<string | symbol, unknown>;

/** The caller's values the copy made its `err`, `error` and extra arguments of. */
export interface CallerValues {
  err?: unknown;
  error?: unknown;
  splat?: unknown;
}

const SPLAT = Symbol.for('splat');
/** The attribute prefix of a cause: the JSON line's `error.cause`, Loki's `error_cause_…`. */
const PREFIX = 'error.cause';
/** Longest `exception.type`, as error-span-events cuts `error.type`. */
const MAX_TYPE = 256;

/** What `@opentelemetry/winston-transport` takes as a record's exception (its own test). */
function isException(v: unknown): boolean {
  if (typeof v === 'string' || typeof v === 'number') return true;
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  try {
    return e.code != null || e.name != null || e.message != null || e.stack != null;
  } catch {
    return false; // a caller's extra argument whose getter throws: the transport skips it too
  }
}

/**
 * Where the transport will take the copy's exception from, in its order (meta `err`, `error`,
 * the call's extra arguments, a record with a `stack`): the copy holding it and the caller's
 * value it was made from. The cause attributes describe that one, so they belong to the record's
 * `exception.*` (the JSON line's `error{}` is the same error, but for a call passing both `err`
 * and `error`, where the line shows `error`).
 */
function exceptionSource(
  copy: Info,
  original: Info,
  caller: CallerValues,
): { holder: Info | undefined; from: unknown; read: unknown } | undefined {
  for (const key of ['err', 'error'] as const) {
    const v = copy[key];
    if (isException(v))
      return {
        holder: typeof v === 'object' ? (v as Info) : undefined,
        from: caller[key],
        read: v,
      };
  }
  const copies = copy[SPLAT];
  if (Array.isArray(copies)) {
    // An extra argument's copy may be the caller's own object (see safeSplat): never changed.
    const i = copies.findIndex(isException);
    if (i !== -1)
      return {
        holder: undefined,
        from: Array.isArray(caller.splat) ? caller.splat[i] : undefined,
        read: copies[i],
      };
  }
  if (typeof copy.stack !== 'string') return undefined;
  // `logger.error(err)`. A record that only has a `stack` (`format.errors()` made it) keeps its
  // `cause` field, as its line does.
  return isError(original) ? { holder: copy, from: original, read: copy } : undefined;
}

/**
 * The SDK makes `exception.type` of an exception's `code` when it has one (`step_failed`,
 * `ECONNREFUSED`), unless the record has that attribute already. OpenTelemetry's conventions
 * define it as the exception's type, which the span's exception event of error-span-events and
 * the line's `error.type` give: the name. So an Error (and a named object with a code) gets
 * the line's `error.type` as `exception.type`, and the line's `error.code` (its code, else its
 * HTTP status) as `error.code`, instead of losing it; both read as the line reads them (a
 * getter that throws is a missing value).
 */
function typeOverCode(copy: Info, exception: unknown): void {
  if (typeof exception !== 'object' || exception === null) return;
  const code = read(exception, 'code');
  const lineCode = code ?? statusOf(exception);
  if (
    !Object.hasOwn(copy, 'error.code') &&
    (typeof lineCode === 'string' || typeof lineCode === 'number')
  )
    copy['error.code'] = lineCode;
  if (Object.hasOwn(copy, 'exception.type')) return;
  // An Error's type is its line's `error.type`, code or not: `Error` for a name it cannot read
  // (the SDK would find none on the copy), the text of a name that is not a string (the SDK
  // would keep a number). A plain object without a name has no type of its own, and keeps the
  // SDK's.
  const name = read(exception, 'name');
  if (isError(exception)) copy['exception.type'] = truncate(safeString(name ?? 'Error'), MAX_TYPE);
  else if (code && typeof name === 'string' && name)
    copy['exception.type'] = truncate(name, MAX_TYPE);
}

/**
 * `value` as flat attributes under `prefix`, one per leaf (`error.cause.cause.code`,
 * `error.cause.status`): a map attribute is one value to most back ends, and a key a query or a
 * Loki `otlp_config` rule can name only at its top. Strings cut at `maxString`.
 */
function flatten(prefix: string, value: unknown, out: Info, maxString: number): void {
  if (typeof value === 'string') out[prefix] = truncate(value, maxString);
  else if (typeof value !== 'object' || value === null || Array.isArray(value)) out[prefix] = value;
  else {
    const keys = Object.keys(value);
    if (keys.length === 0) out[prefix] = value;
    for (const key of keys)
      flatten(`${prefix}.${key}`, (value as Record<string, unknown>)[key], out, maxString);
  }
}

/**
 * Gives the OTLP copy of a record the cause its JSON line shows under `error.cause`, as flat
 * `error.cause.*` attributes: the same object (`causeOf`: three deep, a plain object's own values,
 * 16 at most and redacted, a loop ended), strings cut as the copy's are, and the first cause's
 * stack as `error.cause.stacktrace`, as the transport gave it. The transport would otherwise make
 * `error.cause.*` of one level itself, with `String()` of anything else (`[object Object]` for a
 * plain object), under `err.cause.*` for meta `err`, nothing for an extra argument, and a `cause`
 * map attribute of the copy's own (four deep, a loop repeated) for `logger.error(err)`:
 * so the exception's copy loses its `cause` here. The exception is also named by its type, not
 * its code (`typeOverCode`).
 */
export function moveCause(
  copy: Info,
  original: Info,
  caller: CallerValues,
  redact: ((key: string) => boolean) | undefined,
  maxString: number,
  maxStack: number,
): void {
  const source = exceptionSource(copy, original, caller);
  if (!source) return;
  const { holder, from } = source;
  // The caller's own exception where there is one: the record's copy of it may have lost what
  // could not be read (a name getter that throws), which the line reads as a missing value.
  typeOverCode(copy, typeof from === 'object' && from !== null ? from : source.read);
  let cause: unknown;
  if (isError(from)) {
    cause = causeOf(from, [from], redact);
    const first = read(from, 'cause');
    const stack = isError(first) ? read(first, 'stack') : undefined;
    if (cause !== undefined && typeof stack === 'string')
      copy[`${PREFIX}.stacktrace`] = truncate(stack, maxStack);
  } else {
    // A plain `error` object of the meta: its cause as the line shows it (its copy, made safe).
    cause = holder?.cause;
  }
  if (holder) delete holder.cause;
  if (cause !== undefined) flatten(PREFIX, cause, copy, maxString);
}
