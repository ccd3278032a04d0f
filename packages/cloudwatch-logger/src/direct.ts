import type { Logger } from 'winston';
import type { JsonLineTransport } from './transport';

const LEVEL = Symbol.for('level');
/** Our JSON-line transport, kept on the loggers `createLogger()` makes. */
export const JSON_TRANSPORT = Symbol.for('@ai-teams/cloudwatch-logger/transport');

type Info = Record<string | symbol, unknown>;
type Write = (level: string, info: Info) => void;

function noop(): void {}

/**
 * What winston does with a record when our transport is the only one, minus its stream
 * plumbing (a Transform piped into a Writable: two stream layers and two nextTicks per
 * line): level check, defaultMeta, the logger's formats, the transport. As soon as another
 * transport is attached (the OpenTelemetry one, say) or the logger is silenced, records go
 * through `logger.log()` as usual. Used for the access lines of `requestLogger()`.
 */
export function directWriter(logger: Logger): Write {
  const transport = (logger as unknown as Record<symbol, JsonLineTransport | undefined>)[
    JSON_TRANSPORT
  ];
  const viaWinston: Write = (level, info) => logger.log(level, info as unknown as string);
  if (!transport) return viaWinston;
  return (level, info) => {
    const transports = logger.transports;
    if (transports.length !== 1 || transports[0] !== transport || logger.silent)
      return viaWinston(level, info);
    const levels = logger.levels;
    const wanted = levels[level];
    if (wanted === undefined) return viaWinston(level, info);
    if (wanted > levels[transport.level ?? logger.level]!) return;
    info.level = level;
    info[LEVEL] = level;
    if (logger.defaultMeta) Object.assign(info, logger.defaultMeta);
    const out = logger.format.transform(info as never, logger.format.options);
    if (out) transport.log(out as Info, noop);
  };
}
