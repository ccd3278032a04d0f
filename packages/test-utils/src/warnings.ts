/**
 * The process warnings emitted while `fn` runs (awaited if it returns a promise), and on the
 * tick after: `process.emitWarning()` delivers them on the next tick.
 */
export async function warningsOf(fn: () => unknown): Promise<(Error & { code?: string })[]> {
  const seen: Error[] = [];
  const listener = (warning: Error) => seen.push(warning);
  process.on('warning', listener);
  try {
    await fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}
