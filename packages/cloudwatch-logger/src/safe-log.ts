import type { Logger } from 'winston';

/**
 * A copy of `value` that winston can work on: throwing getters become '[Throws: …]', and a
 * frozen or sealed object (winston adds `level` to an object passed as the message) becomes
 * a plain copy. Undefined when `value` needs neither.
 */
function safeCopy(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || value instanceof Error) return undefined;
  const copy: Record<string, unknown> = {};
  let changed = !Object.isExtensible(value);
  for (const key of Object.keys(value)) {
    try {
      copy[key] = (value as Record<string, unknown>)[key];
    } catch (err) {
      changed = true;
      copy[key] = `[Throws: ${err instanceof Error ? err.message : 'value'}]`;
    }
  }
  return changed ? copy : undefined;
}

type Method = (...args: unknown[]) => unknown;

/** `method` retried once with safe copies of its object arguments when it throws over them. */
function guarded(method: Method): Method {
  return function guardedLog(this: Logger, ...args: unknown[]) {
    try {
      return method.apply(this, args);
    } catch (err) {
      let replaced = false;
      const safe = args.map((a) => {
        const copy = safeCopy(a);
        if (copy) replaced = true;
        return copy ?? a;
      });
      if (!replaced) throw err;
      return method.apply(this, safe);
    }
  };
}

/**
 * winston copies call meta with Object.assign before any format runs, so a top-level getter
 * that throws escapes from `logger.info(msg, meta)`; and it sets `level` on an object passed
 * as the message, which throws for a frozen one. Such a call is retried with safe copies
 * (`log()` and every level method); any other failure is rethrown untouched.
 */
export function guardMeta(logger: Logger): void {
  const target = logger as unknown as Record<string, Method>;
  target.log = guarded(target.log!);
  for (const level of Object.keys(logger.levels)) {
    if (typeof target[level] === 'function') target[level] = guarded(target[level]);
  }
}
