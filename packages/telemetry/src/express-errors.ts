import { createRequire } from 'node:module';
import path from 'node:path';

type ErrorAndMessage = [Error | string, string];

/**
 * `String(value)`, or a stand-in when that throws: an object without a prototype, one whose
 * `toString` is not a function (a JSON body with a "toString" key), a revoked proxy.
 */
function text(value: unknown): string {
  try {
    return String(value);
  } catch {
    // below
  }
  try {
    const message = (value as { message?: unknown }).message;
    return typeof message === 'string' ? message : Object.prototype.toString.call(value);
  } catch {
    return '[unreadable value]';
  }
}

/**
 * Whether the SDK's `recordException()` can read `err` as it does: `code` (its `toString()`) or
 * else `name`, then `message` and `stack`, and the error as a string only when it has neither a
 * type nor a message (its warning prints it). Nothing more is asked, so an Error it records as it
 * is (one with a `code` and a `toString` key that is not a function) is recorded as before.
 */
function recordable(err: Error): boolean {
  try {
    const e = err as Error & { code?: unknown };
    const type: unknown = e.code ? (e.code as { toString(): unknown }).toString() : e.name;
    const message: unknown = e.message;
    void e.stack;
    if (!type && !message) void `${e as unknown as string}`;
    return true;
  } catch {
    return false;
  }
}

function read(err: Error, key: 'name' | 'message' | 'stack' | 'code'): unknown {
  try {
    return (err as Error & { code?: unknown })[key];
  } catch {
    return undefined;
  }
}

/**
 * The express instrumentation's `asErrorAndMessage()` (what a layer's `next(err)` or throw
 * becomes on its span), made unable to throw. The original calls `String()` on anything that is
 * not an Error, and hands an Error to `span.recordException()`, which reads its `code`, `name`,
 * `message` and `stack`: a value those throw on made the instrumentation's wrapper of `next`
 * throw before passing the error on.
 */
export function safeErrorAndMessage(value: unknown): ErrorAndMessage {
  let isError: boolean;
  try {
    isError = value instanceof Error;
  } catch {
    isError = false; // a proxy whose prototype trap throws (a revoked one)
  }
  if (!isError) {
    const s = text(value);
    return [s, s];
  }
  const err = value as Error;
  if (recordable(err)) return [err, err.message];
  const message = read(err, 'message');
  const copy = new Error(typeof message === 'string' ? message : text(message));
  const name = read(err, 'name');
  copy.name = typeof name === 'string' ? name : 'Error';
  const stack = read(err, 'stack');
  copy.stack = typeof stack === 'string' ? stack : undefined;
  const code = read(err, 'code');
  if (typeof code === 'string' || typeof code === 'number') Object.assign(copy, { code });
  return [copy, copy.message];
}

/**
 * Puts `safeErrorAndMessage()` in place of `asErrorAndMessage()` in the express
 * instrumentation's utils module, which its wrapper reads through the module's exports at each
 * call. Without it a route that rejects with, throws or passes to `next()` such a value gets no
 * answer and the rejection is unhandled (Node ends the process), a `next(err)` from a callback
 * throws out of that callback (uncaught), and a synchronous throw reaches the error handler as
 * the wrapper's TypeError (a 500 whatever the value's status). Returns false when the module is
 * not where 0.72 keeps it (nothing is changed then).
 */
export function guardExpressErrors(): boolean {
  try {
    // The instrumentation this package loads (createInstrumentations()), hence its own require.
    const load = createRequire(__filename);
    const entry = load.resolve('@opentelemetry/instrumentation-express');
    const utils = load(path.join(path.dirname(entry), 'utils.cjs')) as Record<string, unknown>;
    if (typeof utils.asErrorAndMessage !== 'function') return false;
    utils.asErrorAndMessage = safeErrorAndMessage;
    return true;
  } catch {
    return false;
  }
}
