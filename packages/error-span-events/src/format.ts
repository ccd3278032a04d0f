import { format, type Format, type TransformableInfo } from 'logform';
import { describeError, describeStack, isError, truncate } from './describe';
import { levelsOption, limitsOption, optionalString, optionsObject } from './check';
import type { DescribedError, Limits } from './describe';
import { EVENT_NAME, recordOnSpan } from './record';
import { targetSpan } from './spans';
import type { ErrorSpanEventsOptions } from './types';

/** winston's npm levels (lower = more severe), so the package does not need winston itself. */
export const NPM_LEVELS: Record<string, number> = {
  error: 0,
  warn: 1,
  info: 2,
  http: 3,
  verbose: 4,
  debug: 5,
  silly: 6,
};

/**
 * Carries `errorHandler()`'s description of the thrown value to the format through the log
 * meta: a Symbol key, so no JSON line ever shows it.
 */
export const DESCRIBED = Symbol('@ai-teams/error-span-events.described');

const LEVEL = Symbol.for('level');
const SPLAT = Symbol.for('splat');
const ERROR_FIELDS = ['error', 'err', 'exception'] as const;

function fromValue(value: unknown, limits: Limits): DescribedError | undefined {
  if (isError(value)) return describeError(value, limits);
  if (value && typeof value === 'object' && DESCRIBED in value) {
    return (value as { [DESCRIBED]: DescribedError })[DESCRIBED];
  }
  return undefined;
}

/** The error a record carries: `logger.error(err)`, `(msg, err)`, `(msg, { error })`, … */
function findError(info: TransformableInfo, limits: Limits): DescribedError | undefined {
  const found =
    fromValue(info, limits) ??
    fromValue(info.message, limits) ??
    ERROR_FIELDS.map((key) => fromValue(info[key], limits)).find(Boolean);
  if (found) return found;
  const splat = info[SPLAT];
  if (Array.isArray(splat)) {
    for (const item of splat) {
      const error = fromValue(item, limits);
      if (error) return error;
    }
  }
  // After `format.errors()` only the strings are left: the stack still names the type.
  if (typeof info.stack === 'string')
    return describeStack(info.stack, String(info.message), limits);
  return undefined;
}

function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (isError(message)) return message.message;
  return String(message);
}

/**
 * winston format: a record at `level` or more severe records its Error on the active span
 * (`recordException`), sets status ERROR there and on the request's server span, and adds an
 * `error_log` event. It never changes the record, so the log line is the same with or without it.
 */
export function errorSpanEvents(options: ErrorSpanEventsOptions = {}): Format {
  const call = 'errorSpanEvents()';
  options = optionsObject(call, options);
  const levels = levelsOption(options.levels) ?? NPM_LEVELS;
  const level = options.level ?? 'error';
  const threshold = Object.hasOwn(levels, level) ? levels[level] : undefined;
  if (threshold === undefined) {
    throw new TypeError(
      `errorSpanEvents(): option "level" is ${JSON.stringify(level)}, which is not one of the levels ` +
        `(${Object.keys(levels).join(', ')}); pass the logger's own map as option "levels"`,
    );
  }
  const severe = new Set(Object.keys(levels).filter((name) => levels[name]! <= threshold));
  const limits: Limits = limitsOption(call, options);
  const eventName = optionalString(call, 'eventName', options.eventName) ?? EVENT_NAME;
  const loggerName = optionalString(call, 'loggerName', options.loggerName);

  return format((info) => {
    // info[LEVEL] is the level before any colorize() rewrote info.level.
    const recordLevel = (info[LEVEL] as string | undefined) ?? info.level;
    if (!severe.has(recordLevel)) return info;
    const span = targetSpan();
    if (!span) return info;
    try {
      const name =
        loggerName ??
        (typeof info.logger === 'string' ? info.logger : undefined) ??
        (typeof info.service === 'string' ? info.service : undefined);
      recordOnSpan(
        span,
        {
          level: recordLevel,
          message: truncate(messageText(info.message), limits.maxMessageLength),
          error: findError(info, limits),
          source: info.source,
          extra: name === undefined ? {} : { 'log.logger': name },
        },
        eventName,
      );
    } catch {
      // Tracing is best effort: a failure here must never cost the log line.
    }
    return info;
  })();
}
