import { types } from 'node:util';
import type { Logger } from 'winston';
import { callLevel } from './levels';

/** Keys winston or the renderer read on a call argument, own or inherited (getters included). */
const READ_KEYS = ['name', 'message', 'stack', 'cause', 'code', 'status', 'statusCode', 'category'];

function reason(err: unknown): string {
  try {
    return err instanceof Error ? String(err.message) : String(err);
  } catch {
    return 'unreadable';
  }
}

/** `value[key]`, or what reading it threw as '[Throws: …]'; `threw` says which. */
function readKey(value: object, key: string): { v: unknown; threw: boolean } {
  try {
    return { v: (value as Record<string, unknown>)[key], threw: false };
  } catch (err) {
    return { v: `[Throws: ${reason(err)}]`, threw: true };
  }
}

/**
 * An Error of the same class holding `fields` as its own properties (the ones of READ_KEYS
 * not enumerable, as on an Error): what the renderer reads of the original (type, class,
 * status, code) without the original's getters.
 */
function errorCopy(original: object, fields: Record<string, unknown>, own: Set<string>): Error {
  let copy: Error;
  try {
    copy = Object.create(Object.getPrototypeOf(original) as object) as Error;
  } catch {
    copy = new Error();
  }
  for (const key of Object.keys(fields)) {
    Object.defineProperty(copy, key, {
      value: fields[key],
      enumerable: own.has(key) && !READ_KEYS.includes(key),
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

/**
 * A copy of an argument winston can log, or undefined when it can log it as it is. Every own
 * key and READ_KEYS is read; a getter that throws is replaced by '[Throws: …]'. An Error stays
 * an Error of its class; one whose keys cannot be listed (a proxy's `ownKeys` trap throws) keeps
 * what READ_KEYS read, and becomes a note when none reads (a revoked proxy). `frozen`: copy even
 * when nothing threw (winston adds `level` to the object it logs).
 */
function readable(arg: unknown, frozen = false): unknown {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const note = (err: unknown) => ({ unreadable_argument: `[Unreadable: ${reason(err)}]` });
  let keys: string[];
  let isError: boolean;
  let unlisted: { err: unknown } | undefined;
  try {
    isError = arg instanceof Error;
  } catch (err) {
    return note(err);
  }
  try {
    keys = Object.keys(arg);
  } catch (err) {
    keys = [];
    unlisted = { err };
  }
  const own = new Set(keys);
  const fields: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let threw = unlisted !== undefined;
  let read = false;
  for (const key of [...READ_KEYS, ...keys]) {
    if (key === '__proto__' || key in fields) continue; // __proto__: JSON.parse's own key
    const r = readKey(arg, key);
    threw ||= r.threw;
    read ||= !r.threw && r.v !== undefined;
    // An inherited key is kept only where it says something (`message` of an Error).
    if (r.v !== undefined || own.has(key)) fields[key] = r.v;
  }
  if (unlisted && !read) return note(unlisted.err);
  if (!threw && !frozen) return undefined;
  if (isError) return errorCopy(arg, fields, own);
  const copy: Record<string, unknown> = {};
  for (const key of keys) if (key !== '__proto__') copy[key] = fields[key];
  for (const key of READ_KEYS) if (threw && fields[key] !== undefined) copy[key] ??= fields[key];
  return copy;
}

/**
 * An argument as winston can take it, copied where it cannot. A frozen or sealed object: winston
 * adds `level` to an object it logs. A proxy, and an object whose `exception` getter throws:
 * winston reads and sets a record's keys and symbols (its `Symbol.for('level')`, `level`), and
 * each transport reads `exception` before its `log()`, where a throw never calls the stream
 * back: it then waits for that record for good, and every later line with it.
 */
function prepared(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (types.isProxy(value)) return readable(value, true) ?? value;
  try {
    void (value as { exception?: unknown }).exception;
    if (Object.isExtensible(value)) return value;
    if (Array.isArray(value)) return [...(value as unknown[])];
  } catch {
    // the `exception` getter threw: copied below
  }
  return readable(value, true) ?? value;
}

type Method = (...args: unknown[]) => unknown;

/**
 * Whether winston's copy of a child's meta on each call (`Object.assign()`, symbol keys
 * included) works: the one test of what it reads, and far cheaper than `readable()`.
 */
function copies(meta: unknown): boolean {
  try {
    Object.assign({}, meta);
    return true;
  } catch {
    return false;
  }
}

/** Calls of guarded methods in progress: only the outermost one retries. */
let depth = 0;

/**
 * `log(level, …)` or `log({ level, … })` at a level the logger does not have: written at the
 * level `callLevel()` gives instead of dropped.
 */
function knownLevel(logger: Logger, args: unknown[]): void {
  const levels = logger.levels;
  const first = args[0];
  if (typeof first === 'string') {
    if (args.length > 1 && !Object.hasOwn(levels, first)) args[0] = callLevel(first, levels);
    return;
  }
  if (args.length !== 1 || typeof first !== 'object' || first === null) return;
  const level = readKey(first, 'level').v;
  if (typeof level === 'string' && !Object.hasOwn(levels, level)) {
    const copy = readable(first, true) as Record<string, unknown> | undefined;
    if (copy) args[0] = Object.assign(copy, { level: callLevel(level, levels) });
  }
}

/**
 * `method` with frozen object arguments copied first, and retried once with safe copies when
 * it throws over a getter that throws. A level method calls `log()`, both guarded: only the
 * outer call retries, so a call is never written twice over a failure that is not the getter's.
 */
function guarded(method: Method, written: () => number, isLog = false): Method {
  return function guardedLog(this: unknown, ...args: unknown[]) {
    // An inner call (a level method calling log()) has its arguments from the outer one.
    if (depth > 0) return method.apply(this, args);
    if (isLog) knownLevel(this as Logger, args);
    for (let i = 0; i < args.length; i++) args[i] = prepared(args[i]);
    depth++;
    const before = written();
    try {
      return method.apply(this, args);
    } catch (err) {
      // The line went out before the failure (another transport's): a retry would write it twice.
      if (written() !== before) throw err;
      let replaced = false;
      const safe = args.map((a) => {
        const copy = readable(a);
        if (copy) replaced = true;
        return copy ?? a;
      });
      if (!replaced) throw err;
      return method.apply(this, safe);
    } finally {
      depth--;
    }
  };
}

/**
 * winston copies call meta with Object.assign before any format runs, so a top-level getter
 * that throws escapes from `logger.info(msg, meta)`; and it sets `level` on an object passed
 * as the message, which throws for a frozen one. So `log()` and every level method copy a
 * frozen or proxy argument first (see `prepared()`), and retry a call that threw over an
 * argument it could not read (a throwing getter, an Error whose message or stack getter
 * throws) with readable copies; any other failure (another transport's own) is rethrown
 * untouched.
 */
export function guardMeta(logger: Logger, transport: { received: number }): void {
  const target = logger as unknown as Record<string, Method>;
  const written = () => transport.received;
  target.log = guarded(target.log!, written, true);
  // A child's meta is read by winston on each of its calls: one that cannot be read would make
  // every call of the child throw. It is replaced by a readable copy once, at `child()`; meta
  // that reads fine is kept as it is (winston reads it live).
  const child = target.child!;
  target.child = function guardedChild(this: unknown, meta: unknown) {
    return child.call(this, copies(meta) ? meta : (readable(meta, true) ?? meta));
  };
  for (const level of Object.keys(logger.levels)) {
    if (typeof target[level] === 'function') target[level] = guarded(target[level], written);
  }
}
