/** What a crash handler runs before the process ends: given the error, in its context. */
export type CrashFlush = (error: unknown) => unknown;

const FLUSHES = Symbol.for('@ai-teams/tracking-id/crash-flushes');

/**
 * The process's flushes, on a `Symbol.for` global: every copy of this package (and so every
 * package built on one) registers into and reads the same set. This is where the package that
 * handles a crash (cloudwatch-logger's `handleExceptions`) and the ones with work to flush
 * (telemetry's `shutdown()`) meet, neither depending on the other.
 */
function flushes(): Set<CrashFlush> {
  const registry = globalThis as { [FLUSHES]?: Set<CrashFlush> };
  return (registry[FLUSHES] ??= new Set());
}

/**
 * Registers `flush` to run when a crash handler ends the process after an uncaught exception:
 * called synchronously in the listener (so still in the crashed request's context), its promise
 * awaited within the handler's timeout. Nothing runs it unless a crash handler is installed.
 *
 * @returns a function that removes it again
 */
export function addCrashFlush(flush: CrashFlush): () => void {
  flushes().add(flush);
  return () => void flushes().delete(flush);
}

/** The registered crash flushes, in the order they were added. */
export function crashFlushes(): readonly CrashFlush[] {
  return [...flushes()];
}
