import { context, SpanStatusCode } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';

/**
 * Ends the server span of the request an uncaught exception happened in, as an error: that
 * request is never answered now, and a span not ended is never exported. Run in the crash's own
 * context (a crash handler calls its flushes synchronously); a span already ended (a crash after
 * the response) is left alone, and outside a request there is nothing to end.
 */
export function endCrashedServerSpan(error: unknown): void {
  const span = getRPCMetadata(context.active())?.span;
  if (span === undefined || !span.isRecording()) return;
  const isError = error instanceof Error;
  if (isError) span.recordException(error);
  span.setAttribute('error.type', isError ? error.name || 'Error' : typeof error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: `uncaught exception${isError ? `: ${error.message}` : ''}`,
  });
  span.end();
}
