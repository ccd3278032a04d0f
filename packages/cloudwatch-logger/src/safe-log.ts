import type { Logger } from 'winston';

/** A plain copy of a frozen or sealed object: winston adds `level` to an object it logs. */
function extensible(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  try {
    if (Object.isExtensible(value)) return value;
    if (value instanceof Error) return value; // a copy would lose its message and stack
    return Array.isArray(value) ? [...(value as unknown[])] : { ...value };
  } catch {
    return value; // a revoked proxy: the call throws, and the retry replaces it
  }
}

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
 * A copy of a call argument that winston can read, or undefined when it can already: an object
 * whose getters throw gets '[Throws: …]' in their place (an Error keeps its message and stack
 * where they read, as an Error of the same name); one whose keys cannot be listed at all (a
 * revoked proxy) becomes a note.
 */
function readable(arg: unknown): unknown {
  if (typeof arg !== 'object' || arg === null) return undefined;
  let keys: string[];
  let isError: boolean;
  try {
    isError = arg instanceof Error;
    keys = Object.keys(arg);
  } catch (err) {
    return { unreadable_argument: `[Unreadable: ${reason(err)}]` };
  }
  const copy: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let threw = false;
  for (const key of isError ? ['name', 'message', 'stack', ...keys] : keys) {
    if (key === '__proto__') continue; // an own key from JSON.parse: not a prototype to set
    const r = readKey(arg, key);
    threw ||= r.threw;
    copy[key] = r.v;
  }
  if (!threw) return undefined;
  if (!isError) return { ...copy };
  const err = new Error(String(copy.message ?? ''));
  Object.assign(err, copy);
  return err;
}

type Method = (...args: unknown[]) => unknown;

/** Calls of guarded methods in progress: only the outermost one retries. */
let depth = 0;

/**
 * `method` with frozen object arguments copied first, and retried once with safe copies when
 * it throws over a getter that throws. A level method calls `log()`, both guarded: only the
 * outer call retries, so a call is never written twice over a failure that is not the getter's.
 */
function guarded(method: Method): Method {
  return function guardedLog(this: unknown, ...args: unknown[]) {
    // An inner call (a level method calling log()) has its arguments from the outer one.
    if (depth > 0) return method.apply(this, args);
    for (let i = 0; i < args.length; i++) args[i] = extensible(args[i]);
    depth++;
    try {
      return method.apply(this, args);
    } catch (err) {
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
 * frozen argument first, and retry a call that threw over an argument it could not read (a
 * throwing getter, an Error whose message or stack getter throws, a revoked proxy) with
 * readable copies; any other failure (another transport's own) is rethrown untouched.
 */
export function guardMeta(logger: Logger): void {
  const target = logger as unknown as Record<string, Method>;
  target.log = guarded(target.log!);
  for (const level of Object.keys(logger.levels)) {
    if (typeof target[level] === 'function') target[level] = guarded(target[level]);
  }
}
