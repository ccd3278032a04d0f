import type { Logger } from 'winston';

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

/**
 * winston copies call meta with Object.assign before any format runs, so a top-level getter
 * that throws escapes from `logger.info(msg, meta)`. Retry such a call with a safe copy;
 * any other failure is rethrown untouched.
 */
export function guardMeta(logger: Logger): void {
  const log = logger.log;
  logger.log = function guardedLog(this: Logger, ...args: unknown[]) {
    try {
      return (log as (...a: unknown[]) => Logger).apply(this, args);
    } catch (err) {
      let replaced = false;
      const safe = args.map((a, i) => {
        const copy = i > 0 ? withoutThrowingGetters(a) : undefined;
        if (copy) replaced = true;
        return copy ?? a;
      });
      if (!replaced) throw err;
      return (log as (...a: unknown[]) => Logger).apply(this, safe);
    }
  } as Logger['log'];
}
