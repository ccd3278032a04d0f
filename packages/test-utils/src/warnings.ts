import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The process warnings emitted while `fn` runs (awaited if it returns a promise), and on the
 * tick after: `process.emitWarning()` delivers them on the next tick. `afterMs` keeps listening
 * that much longer (a warning given by a timer); `code` keeps only the warnings with that code.
 */
export async function warningsOf(
  fn: () => unknown,
  { code, afterMs = 0 }: { code?: string; afterMs?: number } = {},
): Promise<(Error & { code?: string })[]> {
  const seen: (Error & { code?: string })[] = [];
  const listener = (warning: Error) => seen.push(warning);
  process.on('warning', listener);
  try {
    await fn();
    if (afterMs > 0) await sleep(afterMs);
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return code === undefined ? seen : seen.filter((w) => w.code === code);
}

/**
 * What is written to stderr while `fn` runs (awaited), and on the tick after; it is still
 * written through. For output that is not a process warning (`console.error()`).
 */
export async function stderrOf(fn: () => unknown): Promise<string> {
  let written = '';
  const write = process.stderr.write;
  process.stderr.write = function (this: typeof process.stderr, chunk: unknown, ...rest: never[]) {
    written += String(chunk);
    return write.call(this, chunk as string, ...rest);
  } as typeof write;
  try {
    await fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.stderr.write = write;
  }
  return written;
}
