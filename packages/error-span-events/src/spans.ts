import {
  context,
  isSpanContextValid,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';
import { MAX_NAME_LENGTH, topFrame, truncate, type DescribedError } from './describe';

/** Exceptions already recorded, per thrown value: the handler and the format may both see one. */
const recorded = new WeakMap<object, WeakSet<Span>>();

/** The request's server span, kept in the context's RPC metadata by the http instrumentation. */
export function serverSpan(): Span | undefined {
  return getRPCMetadata(context.active())?.span;
}

/**
 * The span an error goes on: the active one (inside Express, the handler's layer span), or the
 * request's server span when the active one has already ended.
 */
export function targetSpan(): Span | undefined {
  const active = trace.getActiveSpan();
  if (active?.isRecording()) return active;
  const server = serverSpan();
  return server?.isRecording() ? server : undefined;
}

/**
 * Whether two spans are of one trace. The RPC metadata is the context's, the active span may be
 * another request's: a pool that runs request A's callback while B's context is current gives
 * A's span (the express instrumentation restores it for `next()`) beside B's metadata, whose
 * server span answered B and must not read A's failure.
 */
function sameTrace(a: Span, b: Span): boolean {
  return a.spanContext().traceId === b.spanContext().traceId;
}

export function traceIdOf(span: Span | undefined): string | undefined {
  const sc = span?.spanContext();
  return sc && isSpanContextValid(sc) ? sc.traceId : undefined;
}

/** `span.recordException` once per thrown value and span, with bounded strings. */
export function recordException(span: Span, error: DescribedError): void {
  let spans = recorded.get(error.key);
  if (spans?.has(span)) return;
  if (!spans) recorded.set(error.key, (spans = new WeakSet()));
  spans.add(span);
  span.recordException({ name: error.type, message: error.message, stack: error.stack });
}

/**
 * Status ERROR and `error.type` on `span` and on the request's server span, so the failed
 * request shows at the top level of the trace, not only on an inner layer span.
 */
export function markFailed(span: Span, type: string, message: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.setAttribute('error.type', type);
  const server = serverSpan();
  if (server && server !== span && server.isRecording() && sameTrace(server, span)) {
    server.setStatus({ code: SpanStatusCode.ERROR, message });
    server.setAttribute('error.type', type);
  }
}

/** Attributes of the `error_log` event; source location from the stack when there is one. */
export function eventAttributes(
  span: Span,
  level: string,
  message: string,
  error: DescribedError | undefined,
  source: unknown,
): Attributes {
  const attributes: Attributes = {
    'log.level': level,
    'log.message': message,
    'error.type': error?.type ?? 'UnknownError',
  };
  const traceId = traceIdOf(span);
  if (traceId) attributes['tracking.id'] = traceId;
  const frame = topFrame(error?.frames) ?? sourceField(source);
  if (frame?.module) attributes['log.module'] = frame.module;
  if (frame?.function) attributes['log.function'] = frame.function;
  if (frame?.line !== undefined) attributes['log.line'] = frame.line;
  return attributes;
}

/** A record's own `source: { module, function, line }` (the CloudWatch line's shape). */
function sourceField(source: unknown): { module?: string; function?: string; line?: number } {
  if (!source || typeof source !== 'object') return {};
  const s = source as Record<string, unknown>;
  const out: { module?: string; function?: string; line?: number } = {};
  if (typeof s.module === 'string') out.module = truncate(s.module, MAX_NAME_LENGTH);
  if (typeof s.function === 'string') out.function = truncate(s.function, MAX_NAME_LENGTH);
  if (typeof s.line === 'number') out.line = s.line;
  return out;
}
