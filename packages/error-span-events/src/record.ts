import type { Span } from '@opentelemetry/api';
import { DEFAULT_LIMITS, describeError, type DescribedError } from './describe';
import { eventAttributes, markFailed, recordException } from './spans';
import type { ErrorEventAttributes, ErrorLimits } from './types';

export const EVENT_NAME = 'error_log';

/** Everything one error record does to a span; shared by the format and `recordErrorOnSpan`. */
export function recordOnSpan(
  span: Span,
  record: {
    level: string;
    message: string;
    error: DescribedError | undefined;
    source?: unknown;
    extra?: ErrorEventAttributes;
  },
  eventName = EVENT_NAME,
): void {
  if (record.error) recordException(span, record.error);
  markFailed(span, record.error?.type ?? 'UnknownError', record.message);
  const attributes = eventAttributes(
    span,
    record.level,
    record.message,
    record.error,
    record.source,
  );
  for (const [key, value] of Object.entries(record.extra ?? {})) {
    if (value !== undefined) attributes[key] = value;
  }
  span.addEvent(eventName, attributes);
}

/**
 * The `errorSpanEvents()` logic for any logger: records `error` (any value: an Error, a string,
 * an object) on `span` as an exception, sets status ERROR there and on the request's server
 * span, and adds an `error_log` event. Returns false, doing nothing, when the span is missing
 * or not recording.
 */
export function recordErrorOnSpan(
  span: Span | undefined,
  error: unknown,
  attributes: ErrorEventAttributes = {},
  limits: ErrorLimits = {},
): boolean {
  if (!span?.isRecording()) return false;
  // Per limit, not spread: a limit given as `undefined` keeps its default.
  const described = describeError(error, {
    maxMessageLength: limits.maxMessageLength ?? DEFAULT_LIMITS.maxMessageLength,
    maxStackLength: limits.maxStackLength ?? DEFAULT_LIMITS.maxStackLength,
  });
  const level = typeof attributes['log.level'] === 'string' ? attributes['log.level'] : 'error';
  recordOnSpan(span, { level, message: described.message, error: described, extra: attributes });
  return true;
}
