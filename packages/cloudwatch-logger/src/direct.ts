import type { Logger } from 'winston';
import type TransportStream from 'winston-transport';
import { isOwnAccessRecord } from './access-line';
import { CONTEXT } from './context';
import { deferOtlp, isOtelTransport, otelLoggerOf } from './otlp-access';
import type { JsonLineTransport } from './transport';

const LEVEL = Symbol.for('level');
/** Our JSON-line transport, kept on the loggers `createLogger()` makes. */
export const JSON_TRANSPORT = Symbol.for('@ai-teams/cloudwatch-logger/transport');

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
 * is one that takes such a call; any other transport sends the record through `logger.log()`.
 */
export function directWriter(logger: Logger): Write {
  const ours = (logger as unknown as Record<symbol, JsonLineTransport | undefined>)[JSON_TRANSPORT];
  const viaWinston: Write = (level, info) => logger.log(level, info as unknown as string);
  if (!ours) return viaWinston;
  return (level, info) => {
    if (logger.silent) return;
    const transports = logger.transports;
    for (const t of transports) if (!isDirect(t, ours)) return viaWinston(level, info);
    const levels = logger.levels;
    const wanted = levels[level];
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
    const at = deferred ? ours.clock() : undefined;
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
  };
}
