import { context, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';

/** Records `error` on `span` as the reason it ends, and ends it. */
function endAsCrashed(span: Span, error: unknown): void {
  const isError = error instanceof Error;
  if (isError) span.recordException(error);
  span.setAttribute('error.type', isError ? error.name || 'Error' : typeof error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: `uncaught exception${isError ? `: ${error.message}` : ''}`,
  });
  span.end();
}

/**
 * The route and span name the HTTP instrumentation gives a server span when its response ends
 * (`GET /orders/:id`), which a crashed request never reaches: without them the span is `GET`.
 */
function nameByRoute(span: Span, route: string | undefined): void {
  if (!route) return;
  span.setAttribute(ATTR_HTTP_ROUTE, route);
  const attributes = (span as Partial<ReadableSpan>).attributes ?? {};
  const method = attributes['http.request.method'] ?? attributes['http.method'];
  span.updateName(`${typeof method === 'string' ? method : 'GET'} ${route}`);
}

/**
 * Ends the server span of the request an uncaught exception happened in, as an error: that
 * request is never answered now, and a span not ended is never exported. Run in the crash's own
 * context (a crash handler calls its flushes synchronously); a span already ended (a crash after
 * the response) is left alone, and outside a request there is nothing to end. The active span,
 * when it is another one of that request (the express instrumentation's request-handler span,
 * ended only when the response closes), is ended the same way first: lost, it would leave the
 * spans under it (an outgoing call made before the crash) without their parent in the trace.
 */
export function endCrashedServerSpan(error: unknown): void {
  const active = context.active();
  const metadata = getRPCMetadata(active);
  const span = metadata?.span;
  if (span === undefined || !span.isRecording()) return;
  const inner = trace.getSpan(active);
  if (inner !== undefined && inner !== span && inner.isRecording()) endAsCrashed(inner, error);
  nameByRoute(span, metadata?.route);
  endAsCrashed(span, error);
}
