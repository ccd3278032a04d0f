import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { CONCURRENT } from './span-export';

/** The longest delay a Node timer takes (a longer one fires after 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The most of a collector's answer, or of a cause, that a line quotes. */
const DETAIL_CHARS = 500;
/** The longest line printed: a message or argument past it is cut. */
const LINE_CHARS = 4096;

/**
 * `value` as text, never a throw: the logger runs inside the SDK's error handling, where a
 * throw would become an unhandled rejection (`String()` throws for an object without a
 * prototype, or whose `toString` throws).
 */
function text(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '[a value that cannot be printed]';
  }
}

/** `text` on one line, cut at `max` characters with the length it had. */
function clip(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}… (${line.length} characters)` : line;
}

/**
 * A diagnostic message as a reader wants it. The SDK's global error handler hands an exception
 * over as the JSON of all its properties, stack included (`{"stack":"Error: connect
 * ECONNREFUSED …\n    at …","message":…}`): its name, message and code instead, with what the
 * collector answered (an OTLPExporterError's `data`) and the cause, each cut short. An
 * AggregateError (a collector's host name with several addresses: `localhost` as ::1 and
 * 127.0.0.1) has an empty message, which the JSON leaves out: the messages of its errors. The
 * exporters' "Concurrent export limit reached", which says nothing of why, is told for what it is.
 */
export function readable(message: string): string {
  if (message.startsWith('{"') && message.endsWith('}')) {
    try {
      const e = JSON.parse(message) as Record<string, unknown>;
      const text =
        typeof e.message === 'string' && e.message
          ? e.message
          : typeof e.errors === 'string' && e.errors
            ? e.errors
                .split(/,(?=\w*Error: )/)
                .map((m) => m.replace(/^\w*Error: /, ''))
                .join(', ')
            : undefined;
      if (text) {
        const name = typeof e.name === 'string' && e.name !== 'Error' ? `${e.name}: ` : '';
        const code = typeof e.code === 'string' && !text.includes(e.code) ? ` (${e.code})` : '';
        const data =
          typeof e.data === 'string' && e.data.trim()
            ? `, response: ${clip(e.data, DETAIL_CHARS)}`
            : '';
        const cause = typeof e.cause === 'string' ? `, cause: ${clip(e.cause, DETAIL_CHARS)}` : '';
        message = `${name}${text}${code}${data}${cause}`;
      }
    } catch {
      // Not an exception's JSON after all: as it is.
    }
  }
  return message === CONCURRENT
    ? `${CONCURRENT}: a batch was dropped while earlier exports still wait for the collector (slow or unreachable)`
    : message;
}

/** Whether the process is emitting 'exit', when a listener added is never called. */
let exiting = false;
let watchingExit = false;

/**
 * Runs `fn` at the process's exit, or at once when the exit is under way (something reported
 * from an exit listener); returns the function that takes it back.
 */
export function onExit(fn: () => void): () => void {
  if (exiting) {
    fn();
    return () => undefined;
  }
  process.once('exit', fn);
  return () => process.off('exit', fn);
}

/** `onExit`, once the process's exit is watched for (one listener, ahead of the others). */
function exitHook(): (fn: () => void) => () => void {
  if (!watchingExit) {
    watchingExit = true;
    process.prependOnceListener('exit', () => (exiting = true));
  }
  return onExit;
}

/**
 * A diag logger that prints at most one line per interval and counts what it held back, so a
 * collector that is down gives one line a minute instead of one per failed batch. What was
 * held back is printed at the end of the interval (the latest line, with the count of the
 * others) even when nothing comes after it, or at exit if that comes first: a burst shorter
 * than the interval is not reduced to its first line. A line that comes while the process is
 * exiting (from an exit listener) is printed at once, as there is no later.
 */
export function rateLimitedDiag(
  intervalMs: number,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  now: () => number = Date.now,
  schedule: (fn: () => void, ms: number) => void = (fn, ms) =>
    setTimeout(fn, Math.min(ms, MAX_TIMER_MS)).unref(),
  atExit: (fn: () => void) => () => void = exitHook(),
): DiagLogger {
  let last = -Infinity;
  let suppressed = 0;
  let held: string | undefined; // the latest line held back
  let flushing = false;
  let offExit: (() => void) | undefined;
  const print = (line: string, others: number) => {
    const count = others ? ` (${others} similar messages suppressed)` : '';
    write(`${line}${count}`);
    last = now();
    suppressed = 0;
    held = undefined;
    offExit?.();
    offExit = undefined;
  };
  const flush = () => {
    flushing = false;
    if (held === undefined) return;
    const wait = last + intervalMs - now(); // a line printed since: a whole interval after it
    if (wait > 0) {
      flushing = true;
      schedule(flush, wait);
      return;
    }
    print(held, suppressed - 1);
  };
  const emit =
    (level: string) =>
    (message: string, ...args: unknown[]) => {
      const extra = args.map((a) => (a instanceof Error ? a.message : text(a))).join(' ');
      // One line, whatever the message holds: an exception's message, a string thrown, or the
      // body a collector answered (the SDK's 'could not deserialize response' warning) can carry
      // line breaks, and a log pipeline reads each line as an event of its own.
      const line = clip(
        `[telemetry] ${level}: ${readable(text(message))}${extra ? ` ${extra}` : ''}`,
        LINE_CHARS,
      );
      const t = now();
      if (t - last >= intervalMs) {
        print(line, suppressed);
        return;
      }
      suppressed++;
      held = line;
      if (offExit === undefined) {
        const off = atExit(() => {
          if (held !== undefined) print(held, suppressed - 1);
        });
        // Printed already when the exit was under way: nothing is held to take back.
        if (held !== undefined) offExit = off;
      }
      if (!flushing) {
        flushing = true;
        schedule(flush, last + intervalMs - t);
      }
    };
  const quiet = () => undefined;
  return { error: emit('error'), warn: emit('warn'), info: quiet, debug: quiet, verbose: quiet };
}

/** OTEL_LOG_LEVEL values that ask for more than warnings: sdk-node's console logger prints them. */
const DETAILED = new Set(['INFO', 'DEBUG', 'VERBOSE', 'ALL']);

/**
 * Installs the rate-limited diag logger, at the level OTEL_LOG_LEVEL asks for: `NONE` turns
 * diagnostics off, `ERROR` keeps errors only, `INFO` and more detailed keep sdk-node's console
 * logger (every line, as asked), anything else warnings and errors. Called before the SDK is
 * made and again after it: sdk-node's constructor installs its own logger when the variable is
 * set, so `early` leaves that case alone, and the second call puts the limit back over it.
 */
export function installDiag(intervalMs: number, early = false): void {
  const level = process.env.OTEL_LOG_LEVEL?.trim().toUpperCase();
  if (level) {
    if (early) return;
    if (level === 'NONE') {
      diag.disable();
      return;
    }
    if (DETAILED.has(level)) return;
  }
  diag.setLogger(rateLimitedDiag(intervalMs), {
    logLevel: level === 'ERROR' ? DiagLogLevel.ERROR : DiagLogLevel.WARN,
    suppressOverrideMessage: true,
  });
}
