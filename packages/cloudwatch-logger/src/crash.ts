import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { crashFlushes } from '@ai-teams/tracking-id';
import type { Logger } from 'winston';

/** How long the flushes may take after an uncaught exception before the process ends anyway. */
export const DEFAULT_EXCEPTION_FLUSH_MS = 5000;

/** Exceptions thrown while the flushes run that still get a line each; later ones do not. */
const MAX_LATER_LINES = 10;

/** On a `Symbol.for` global: one handler per process, however many loggers or copies ask. */
const INSTALLED = Symbol.for('@ai-teams/cloudwatch-logger/crash-handler');

function messageOf(error: unknown): string {
  try {
    // String() also of an Error's message: a Symbol there failed the template the line is in.
    return String(error instanceof Error ? error.message : error);
  } catch {
    return typeof error; // an object String() cannot convert (no prototype, a throwing toString)
  }
}

/** The stack of an Error (its message when it has none), or what `messageOf()` gives. */
function stackOf(error: unknown): string {
  try {
    const stack = (error as Error | null | undefined)?.stack;
    if (typeof stack === 'string' && stack) return stack;
  } catch {
    // a stack getter that throws: the message
  }
  return messageOf(error);
}

/** The crash as Node would have shown it, straight to stderr (fd 2), synchronously. */
function toStderr(what: string, error: unknown): void {
  try {
    writeSync(2, `${what}: ${stackOf(error)}\n`);
  } catch {
    // stderr is gone too: the exit code is all that is left
  }
}

/** One error line through `logger`; if the logger itself throws, the bare stack to stderr. */
function writeLine(logger: Logger, what: string, error: unknown): void {
  try {
    logger.error(`${what}: ${messageOf(error)}`, { error });
  } catch {
    toStderr(what, error);
  }
}

/** How often the stream is looked at while it still has lines to write. */
const WRITTEN_POLL_MS = 10;

/**
 * Settles once `stream` has written everything handed to it: what Node still queues for a pipe
 * whose reader is behind is lost at exit (the crash line among it, with `sync` or with a queue
 * under the high-water mark, where no 'drain' will be emitted: hence a poll).
 */
function written(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (stream.destroyed || !(stream.writableLength > 0)) resolve();
      else setTimeout(check, WRITTEN_POLL_MS);
    };
    check();
  });
}

/**
 * Installs, once per process, the `uncaughtException` listener of `handleExceptions`: one
 * error line through `logger` (in the crashed context, so with its tracking id), then the crash
 * flushes registered through `@ai-teams/tracking-id` (telemetry's `shutdown()`), then exit code
 * 1, as Node would have ended it. Bounded by `timeoutMs` whatever the flushes do. Unhandled
 * rejections reach it as uncaught exceptions under Node's default `--unhandled-rejections=throw`;
 * no `unhandledRejection` listener is added, which would stop them from ending the process.
 *
 * @returns whether this call installed it
 */
export function installCrashHandler(logger: Logger, stream: Writable, timeoutMs: number): boolean {
  const registry = globalThis as { [INSTALLED]?: true };
  if (registry[INSTALLED]) return false;
  registry[INSTALLED] = true;
  let crashed = false;
  let later = 0;
  // process.stdout is neither destroyed nor marked errored by EPIPE once its reader is gone,
  // and says so in one 'error' event, not one per lost write: a failure is remembered here.
  let failed = false;
  if (typeof stream.on === 'function') stream.on('error', () => (failed = true));
  // First of the listeners: one of the app's added earlier that calls process.exit() would
  // otherwise end the process before the line is even written.
  process.prependListener('uncaughtException', (error) => {
    if (crashed) {
      // Thrown by a flush or by the app meanwhile: noted, and the exit stays as scheduled.
      if (later++ < MAX_LATER_LINES) writeLine(logger, 'uncaught exception while flushing', error);
      return;
    }
    crashed = true;
    process.exitCode = 1; // if the event loop empties before the flushes end
    writeLine(logger, 'uncaught exception', error);
    // A stream that has not taken every line by the end (failed: EPIPE on a closed stdout;
    // destroyed; stuck: a reader that stopped) may have lost the crash line with them: the
    // crash then goes to stderr as Node would have printed it, never lost without a trace.
    const exit = () => {
      if (failed || stream.destroyed || stream.writableLength > 0)
        toStderr('uncaught exception', error);
      process.exit(1);
    };
    // Kept referenced: a flush that hangs on nothing would otherwise let the loop run dry.
    setTimeout(exit, timeoutMs);
    const running = crashFlushes().map(async (flush) => flush(error));
    // One more turn after them, for the logger's batched lines; then until its stream has
    // written them (what it holds at exit goes out synchronously, what Node holds does not).
    void Promise.allSettled(running)
      .then(() => new Promise(setImmediate))
      .then(() => written(stream))
      .then(exit);
  });
  return true;
}
