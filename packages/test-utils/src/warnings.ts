import { setTimeout as sleep } from 'node:timers/promises';
import type { Express } from 'express';
import { getTarget, listen } from './express';

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

/**
 * What a middleware mounted after every route of `app` shows: the statuses of a request to
 * `routed` (a path a route answers) and of two to a path no route matches, and the
 * `AI_TEAMS_MOUNT_ORDER` warnings of those requests and of the check's window (`windowMs`)
 * after them. The app listens on loopback meanwhile.
 */
export async function misplacedMountWarnings(
  app: Express,
  routed: string,
  windowMs: number,
): Promise<{ statuses: number[]; warnings: (Error & { code?: string })[] }> {
  const server = await listen(app);
  const statuses: number[] = [];
  try {
    const warnings = await warningsOf(
      async () => {
        for (const path of [routed, '/nowhere', '/nowhere']) {
          statuses.push(await getTarget(server.url, path));
        }
      },
      { code: 'AI_TEAMS_MOUNT_ORDER', afterMs: windowMs + 100 },
    );
    return { statuses, warnings };
  } finally {
    await server.close();
  }
}
