import type { Logger } from 'winston';

/** A plain copy of a frozen or sealed object: winston adds `level` to an object it logs. */
function extensible(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Object.isExtensible(value)) return value;
  if (value instanceof Error) return value; // a copy would lose its message and stack
  return Array.isArray(value) ? [...(value as unknown[])] : { ...value };
}

/** A copy of `meta` whose throwing getters became '[Throws: …]'; undefined if none threw. */
function withoutThrowingGetters(meta: unknown): Record<string, unknown> | undefined {
  if (typeof meta !== 'object' || meta === null || meta instanceof Error) return undefined;
  const copy: Record<string, unknown> = {};
  let threw = false;
  for (const key of Object.keys(meta)) {
    try {
      copy[key] = (meta as Record<string, unknown>)[key];
    } catch (err) {
      threw = true;
      copy[key] = `[Throws: ${err instanceof Error ? err.message : 'value'}]`;
    }
  }
  return threw ? copy : undefined;
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
        const copy = withoutThrowingGetters(a);
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
 * frozen argument first, and retry a call that threw over a throwing getter with safe copies;
 * any other failure is rethrown untouched.
 */
export function guardMeta(logger: Logger): void {
  const target = logger as unknown as Record<string, Method>;
  target.log = guarded(target.log!);
  for (const level of Object.keys(logger.levels)) {
    if (typeof target[level] === 'function') target[level] = guarded(target[level]);
  }
}
