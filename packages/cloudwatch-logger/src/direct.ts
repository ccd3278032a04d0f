import type { Logger } from 'winston';
import type TransportStream from 'winston-transport';
import { isOwnAccessRecord } from './access-line';
import { CONTEXT } from './context';
import { deferOtlp, isOtelTransport, otelLoggerOf } from './otlp-access';
import type { JsonLineTransport } from './transport';

const LEVEL = Symbol.for('level');
/** Our JSON-line transport, kept on the loggers `createLogger()` makes. */
export const JSON_TRANSPORT = Symbol.for('@ai-teams/cloudwatch-logger/transport');
/**
 * On the loggers `createLogger()` makes (a `child()` inherits it): the symbol under which
 * `requestLogger()` keeps a request's access line, one per service and stream.
 */
export const ACCESS_KEY = Symbol.for('@ai-teams/cloudwatch-logger/accessKey');

type Info = Record<string | symbol, unknown>;
type Write = (level: string, info: Info) => void;

/**
 * Transports whose `log()` is a plain synchronous call that needs nothing of the stream they
 * sit in: ours, and the OpenTelemetry one.
 */
function isDirect(t: TransportStream, ours: JsonLineTransport): boolean {
  return t === ours || isOtelTransport(t);
}

function noop(): void {}

/**
 * What winston does with a record, minus its stream plumbing (the logger is a Transform piped
 * into each transport: two stream layers and their bookkeeping per transport per line):
 * defaultMeta, the logger's formats, then for each transport its `silent`, level and format
 * rules and its `log()`. Used for the access lines of `requestLogger()`, when every transport
 * is one that takes such a call; any other transport, or a child logger (whose own `write()`
 * adds its fields), sends the record through `logger.log()`.
 */
export function directWriter(logger: Logger): Write {
  const ours = (logger as unknown as Record<symbol, JsonLineTransport | undefined>)[JSON_TRANSPORT];
  const viaWinston: Write = (level, info) => logger.log(level, info as unknown as string);
  if (!ours) return viaWinston;
  const rootWrite = (logger as unknown as Record<symbol, unknown>)[ROOT_WRITE];
  return (level, info) => {
    if (logger.silent) return;
    // A child logger adds its fields in its own write(); an ended logger has unpiped its
    // transports (its write() still reaches them, see writeAfterEnd).
    if (logger.write !== rootWrite || isEnding(logger)) return viaWinston(level, info);
    const transports = logger.transports;
    for (const t of transports) if (!isDirect(t, ours)) return viaWinston(level, info);
    const wanted = logger.levels[level];
    if (wanted === undefined) return viaWinston(level, info);
    info.level = level;
    info[LEVEL] = level;
    if (logger.defaultMeta) Object.assign(info, logger.defaultMeta);
    const out = logger.format.transform(info as never, logger.format.options) as Info | false;
    if (!out) return;
    // Rendered at the end of the turn by our transport, and its OTLP copy made there too.
    const deferred = !ours.sync && out[CONTEXT] !== undefined && isOwnAccessRecord(out);
    // One reading of the clock for the line and its OTLP copy: two could fall either side of a
    // millisecond.
    deliver(logger, ours, out, wanted, deferred ? ours.clock() : undefined);
  };
}

/** `out` (through the logger's formats) to each of `transports` that takes its level. */
function deliver(
  logger: Logger,
  ours: JsonLineTransport,
  out: Info,
  wanted: number,
  at: number | undefined,
  transports: TransportStream[] = logger.transports,
): void {
  const levels = logger.levels;
  for (const t of transports) {
    if (t.silent) continue;
    const threshold = levels[t.level || logger.level];
    if (threshold === undefined || threshold < wanted) continue;
    if (at !== undefined) {
      if (t === ours && !t.format) {
        ours.deferAccessLine(out, at);
        continue;
      }
      const otel = otelLoggerOf(t);
      if (otel) {
        deferOtlp(otel, out, at);
        continue;
      }
    }
    // As winston-transport does: a transport's own format works on a copy.
    const record = t.format ? t.format.transform({ ...out } as never, t.format.options) : out;
    if (record) t.log!(record, noop);
  }
}

/** Loggers whose `close()` was called: it unpipes every transport and leaves the stream open. */
const closed = new WeakSet<Logger>();

/**
 * Whether `end()` or `close()` was called (winston's streams are readable-stream 3's: no
 * `writableEnded`).
 */
function isEnding(logger: Logger): boolean {
  const state = (logger as unknown as { _writableState?: { ending?: boolean } })._writableState;
  return state?.ending === true || logger.destroyed === true || closed.has(logger);
}

/** The logger's own `write()`, kept to tell a child logger (its own `write()`) from it. */
const ROOT_WRITE = Symbol.for('@ai-teams/cloudwatch-logger/write');

/**
 * After `logger.end()` winston's stream refuses writes with an 'error' event nothing listens
 * to: the process would crash on the next log call. After `logger.close()` it has no transports
 * left, and every record waits in its buffer for good (100 000 lines: 50 MB, one written). A
 * record written after either goes to the transports directly instead, in the call (a
 * shutdown logs on its way out).
 */
export function writeAfterEnd(logger: Logger): void {
  const ours = (logger as unknown as Record<symbol, JsonLineTransport | undefined>)[JSON_TRANSPORT];
  const streamWrite = logger.write;
  const streamEnd = logger.end;
  // Ending and closing unpipe the transports: the list is kept as it was, whichever comes
  // first (destroy() leaves it). A child logger's end() or close() is the root's.
  let kept: TransportStream[] = [];
  const keep = () => {
    if (kept.length === 0 && logger.transports.length > 0) kept = [...logger.transports];
  };
  logger.end = function (this: Logger, ...args: unknown[]) {
    keep();
    return (streamEnd as (...a: unknown[]) => Logger).apply(this, args);
  } as Logger['end'];
  const streamClose = logger.close;
  logger.close = function (this: Logger) {
    keep();
    closed.add(logger);
    return streamClose.call(this);
  };
  function write(this: Logger, info: unknown, ...rest: unknown[]): boolean {
    if (!isEnding(this))
      return (streamWrite as (...a: unknown[]) => boolean).call(this, info, ...rest);
    try {
      const record = info as Info;
      const wanted = this.levels[String(record.level)];
      if (wanted === undefined || !ours) return false;
      const out = this.format.transform(record as never, this.format.options) as Info | false;
      // destroy() keeps the list; end() and close() empty it, and it was kept then
      if (out)
        deliver(this, ours, out, wanted, undefined, kept.length > 0 ? kept : this.transports);
    } catch {
      // a transport that cannot take it any more: nothing left to write with
    }
    return false;
  }
  logger.write = write as Logger['write'];
  Object.defineProperty(logger, ROOT_WRITE, { value: write });
}
