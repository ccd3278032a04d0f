import { context, type Context } from '@opentelemetry/api';
import type TransportStream from 'winston-transport';
import { OTLP_SAFE } from './otlp-safe';

type Info = Record<string | symbol, unknown>;

const LEVEL = Symbol.for('level');

/** What this package needs of an OpenTelemetry Logs API logger. */
interface OtelLogger {
  emit(record: {
    timestamp: number;
    severityNumber: number | undefined;
    severityText: string;
    body: unknown;
    attributes: Record<string, unknown>;
    context: Context;
  }): void;
}

/** The fields of `@opentelemetry/winston-transport`'s transport read here (set in its constructor). */
interface OtelTransport {
  _logger?: OtelLogger;
  _severityMapping?: unknown;
  _logSeverity?: unknown;
}

/**
 * OpenTelemetry severity numbers of winston's npm levels (the only levels of the loggers
 * `createLogger()` makes), as `@opentelemetry/winston-transport` maps them.
 */
const SEVERITY: Readonly<Record<string, number>> = {
  error: 17, // ERROR
  warn: 13, // WARN
  info: 9, // INFO
  http: 7, // DEBUG3
  verbose: 6, // DEBUG2
  debug: 5, // DEBUG
  silly: 1, // TRACE
};

/**
 * `@opentelemetry/winston-transport`'s transport, which the winston instrumentation adds to every
 * logger. It is not a dependency here, so it is known by its class name.
 */
export function isOtelTransport(t: TransportStream): boolean {
  return t.constructor?.name === 'OpenTelemetryTransportV3';
}

/**
 * The Logs API logger of an OpenTelemetry winston transport whose records this package can make
 * itself: one with its default severity options and no format of its own, whose safety
 * wrapper (see `protectOtlpCopies`) would leave access records as they are. Undefined for any other
 * transport, which then gets the record through its own `log()`.
 */
export function otelLoggerOf(t: TransportStream): OtelLogger | undefined {
  // Made safe by createLogger() in a way that leaves access records as they are, or not at all.
  if (t.format || (t as { [OTLP_SAFE]?: boolean })[OTLP_SAFE] === false || !isOtelTransport(t))
    return undefined;
  const { _logger, _severityMapping, _logSeverity } = t as unknown as OtelTransport;
  if (_severityMapping != null || _logSeverity != null) return undefined;
  return typeof _logger?.emit === 'function' ? _logger : undefined;
}

interface Pending {
  logger: OtelLogger;
  info: Info;
  context: Context;
  time: number;
}

let pending: Pending[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  const records = pending;
  pending = [];
  for (const { logger, info, context: ctx, time } of records) {
    try {
      emit(logger, info, ctx, time);
    } catch {
      // The SDK reports its own failures through diag; one bad record must not cost the rest.
    }
  }
}

/**
 * The record `@opentelemetry/winston-transport` makes of an access record of the usual shape
 * (see `isOwnAccessRecord`: no error, no event name, no correlation fields): body the message,
 * severity from the level, every other key an attribute. Its objects are the record's own
 * (made for the line), so they are passed as they are instead of deep-copied; and the time is
 * the call's, the same millisecond as the line's `@timestamp`.
 */
function emit(logger: OtelLogger, info: Info, ctx: Context, time: number): void {
  const level = info[LEVEL] as string;
  const attributes: Record<string, unknown> = {};
  // for…in: no key array per record; own keys only, as the transport copies them.
  for (const key in info) {
    if (key !== 'message' && key !== 'level' && Object.hasOwn(info, key))
      attributes[key] = info[key];
  }
  logger.emit({
    timestamp: time,
    severityNumber: SEVERITY[level],
    severityText: level,
    body: info.message,
    attributes,
    context: ctx,
  });
}

/**
 * Queues the OTLP copy of an access record for the end of this event-loop turn, where the turn's
 * copies are made in one run, as the JSON lines are rendered. The request's context and the
 * time are taken now, so the record is the one the transport would have made during the call.
 */
export function deferOtlp(logger: OtelLogger, info: Info, time: number): void {
  pending.push({ logger, info, context: context.active(), time });
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}
