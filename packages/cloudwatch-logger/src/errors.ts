import { types } from 'node:util';
import { stackFrame, stackHeaderEnd } from '@ai-teams/tracking-id';
import { sanitize } from './sanitize';
import type { StackTraceMode } from './types';

const SPLAT = Symbol.for('splat');

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export function isError(v: unknown): v is Error {
  if (typeof v !== 'object' || v === null) return false;
  try {
    if (v instanceof Error) return true;
    // Errors from another realm (vm, worker) fail instanceof; a plain object is never one, and
    // most values asked about are plain objects (records, meta), so skip the native call for them.
    const proto: unknown = Object.getPrototypeOf(v);
    return proto !== Object.prototype && proto !== null && types.isNativeError(v);
  } catch {
    return false; // a proxy whose prototype trap throws (a revoked one): not an Error to read
  }
}

/** The record's error: the record itself (logger.error(err)), meta `error`/`err`, or a splat arg. */
export function findError(info: Record<string | symbol, unknown>): Error | undefined {
  if (isError(info)) return info;
  if (isError(info.error)) return info.error;
  if (isError(info.err)) return info.err;
  if (isError(info.message)) return info.message;
  const splat = info[SPLAT];
  if (Array.isArray(splat)) for (const s of splat) if (isError(s)) return s;
  return undefined;
}

/** `value[key]`, undefined when reading it throws (a getter, a revoked proxy). */
export function read(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

export function statusOf(err: object): number | undefined {
  const s = read(err, 'status') ?? read(err, 'statusCode');
  return typeof s === 'number' ? s : undefined;
}

function categoryOf(err: Error, code: unknown): string {
  const own = read(err, 'category');
  if (typeof own === 'string') return own;
  const status = statusOf(err);
  if (typeof code === 'string') {
    if (TIMEOUT_CODES.has(code)) return 'timeout';
    if (NETWORK_CODES.has(code)) return 'network';
  }
  const name = read(err, 'name');
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  if (status !== undefined && status >= 400 && status < 500) return 'client';
  return 'server';
}

export function safeString(v: unknown): string {
  try {
    return typeof v === 'string' ? v : String(v);
  } catch {
    return '[Unprintable]';
  }
}

/**
 * How many lines of a V8 stack its `Type: message` header takes: a message may span lines,
 * and one holding client text may hold a frame-shaped line (`\n    at admin (/srv/auth.js:1:1)`)
 * that must not be read as a frame. 0 when the stack does not start with the message.
 */
function headerLines(stack: string, message: string): number {
  const end = stackHeaderEnd(stack, message);
  let lines = 1;
  for (let i = stack.indexOf('\n'); i !== -1 && i < end; i = stack.indexOf('\n', i + 1)) lines++;
  return end === 0 ? 0 : lines;
}

function firstFrame(lines: string[], from: number): number {
  for (let i = from; i < lines.length; i++) if (lines[i]!.trimStart().startsWith('at ')) return i;
  return -1;
}

function trimStack(
  stack: string,
  mode: StackTraceMode,
  frames: number,
  header: number,
): string | undefined {
  if (mode === 'none') return undefined;
  if (mode === 'full') return stack;
  const lines = stack.split('\n');
  const head = firstFrame(lines, header);
  if (head === -1 || lines.length - head <= frames) return stack;
  return [
    ...lines.slice(0, head + frames),
    `    … ${lines.length - head - frames} more frames`,
  ].join('\n');
}

export interface ErrorFields {
  error: Record<string, unknown>;
  exception: Record<string, unknown>;
}

/** `error{type, code, message, category}` and `exception{class, stack_trace, file, line}`. */
/** Causes a line shows under `error.cause`, each inside the one before. */
const MAX_CAUSES = 3;
/** Values kept of a cause that is not an Error (a plain object). */
const MAX_CAUSE_VALUES = 16;

/**
 * `error.cause{type, code, message}` of `err`, its own cause under it, down to MAX_CAUSES: what a
 * wrapped failure hides (a fetch's `TypeError: fetch failed` over `ECONNREFUSED`). A cause that
 * is not an object is its `message`; one already shown above, or unreadable, ends the chain.
 * The OTLP copy takes the same object (see `otlp-cause.ts`), so both say the same.
 */
export function causeOf(
  err: object,
  seen: object[],
  redact: ((key: string) => boolean) | undefined,
): Record<string, unknown> | undefined {
  const cause = read(err, 'cause');
  if (cause === undefined || cause === null || typeof cause === 'function') return undefined;
  if (typeof cause !== 'object') return { message: safeString(cause) };
  if (seen.includes(cause)) return undefined;
  // Not an Error (`{ cause: { status, url } }`, a response object): its own values, a few.
  if (!isError(cause)) {
    const values = sanitize(cause, {
      remaining: MAX_CAUSE_VALUES,
      dropped: 0,
      maxString: 1024,
      redact,
    });
    return values !== null && typeof values === 'object' && Object.keys(values).length > 0
      ? (values as Record<string, unknown>)
      : undefined;
  }
  const out: Record<string, unknown> = {};
  const name = read(cause, 'name');
  if (typeof name === 'string') out.type = name;
  const code = read(cause, 'code');
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  const message = read(cause, 'message');
  if (message !== undefined) out.message = safeString(message);
  if (seen.length < MAX_CAUSES) {
    seen.push(cause);
    const next = causeOf(cause, seen, redact);
    if (next) out.cause = next;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function errorFields(
  err: Error,
  mode: StackTraceMode,
  frames: number,
  redact?: (key: string) => boolean,
): ErrorFields {
  const code = read(err, 'code') ?? statusOf(err);
  const name = safeString(read(err, 'name') ?? 'Error');
  const error: Record<string, unknown> = { type: name };
  if (typeof code === 'string' || typeof code === 'number') error.code = code;
  error.message = safeString(read(err, 'message') ?? '');
  error.category = categoryOf(err, code);
  const cause = causeOf(err, [err], redact);
  if (cause) error.cause = cause;
  let cls = name;
  try {
    cls = err.constructor?.name || name;
  } catch {
    // a hostile constructor getter: keep the name
  }
  const exception: Record<string, unknown> = { class: cls };
  const stack = read(err, 'stack');
  if (typeof stack === 'string') {
    const header = headerLines(stack, error.message as string);
    const trimmed = trimStack(stack, mode, frames, header);
    if (trimmed !== undefined) exception.stack_trace = trimmed;
    const top = stack.split('\n', header + 12);
    const first = top[firstFrame(top, header)];
    const at = first === undefined ? undefined : stackFrame(first);
    if (at) {
      exception.file = at.file;
      if (at.line !== undefined) exception.line = at.line;
    }
  }
  return { error, exception };
}
