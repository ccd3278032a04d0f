import type { IncomingMessage, ServerResponse } from 'node:http';
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { WinstonInstrumentation } from '@opentelemetry/instrumentation-winston';
import { finalStatus, requestPath, statusSent } from '@ai-teams/tracking-id';
import { guardExpressErrors } from './express-errors';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
} from '@opentelemetry/semantic-conventions';
import { warnIfNotPatched } from './late-load';
import { traceContextGate } from './trust';
import type { ResolvedTelemetryOptions } from './types';

/**
 * Express layer spans that carry no information: the packages' own middleware and Express 4's
 * built-ins. Each would cost a span per request (about 10% throughput apiece under load).
 */
export const QUIET_LAYERS =
  /^middleware - (trackingIdMiddleware|httpMetricsMiddleware|requestLoggerMiddleware|query|expressInit|jsonParser|urlencodedParser)$/;

/** Incoming requests that look for a loaded express, in an app that has none yet. */
const LOAD_CHECKS = 100;

/**
 * A response that closed before it finished: its span follows the request's final status, as
 * its access line and `request_count` do (tracking-id's `finalStatus()`). When nothing of it
 * reached the connection (no header made; headers made by `writeHead()` and never written; a
 * response queued behind another on its connection, HTTP pipelining), the status the
 * instrumentation read is one no client got: the span reads the final one instead, 499 for a
 * client that gave up (an Express 4 handler whose promise rejected never answers), the status
 * Node answered (408, 400), 500. A status that went out stays; a response the server cut after
 * it (destroyed with an error: a failed `stream.pipeline()`) is an error all the same. Returns
 * whether the status line went out.
 */
function closedEarly(span: Span, response: ServerResponse): boolean {
  const status = finalStatus(response);
  const sent = statusSent(response);
  if (!sent) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  if (status >= 500) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    // Nothing sent: the status is the error. Else the error the response was destroyed with
    // names it, as the instrumentation names a response's error (errorHandler() records its own).
    const cause = response.errored;
    if (!sent) span.setAttribute(ATTR_ERROR_TYPE, String(status));
    else if (cause instanceof Error) span.setAttribute(ATTR_ERROR_TYPE, cause.name);
  }
  return sent;
}

export function createInstrumentations(config: ResolvedTelemetryOptions): Instrumentation[] {
  const ignored = new Set(config.ignorePaths);
  // Whether express was patched is known once the app has loaded it, which is before its first
  // request unless that one reached a server of another kind (a health check while the app
  // starts): checked until express is there, for the first requests at most.
  let checksLeft = LOAD_CHECKS;
  // What a route throws or passes to next() must reach the error handler, whatever it is.
  guardExpressErrors();
  const gate = traceContextGate(config.trustIncomingTraceContext);
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (req: IncomingMessage) => {
        if (checksLeft !== 0) checksLeft = warnIfNotPatched() ? 0 : checksLeft - 1;
        if (ignored.size === 0 || !ignored.has(requestPath(req.url))) return false;
        gate?.ignoredRequest(req);
        return true;
      },
      // Only for a service that does not trust every caller's trace context.
      ...(gate && {
        startIncomingSpanHook: gate.startIncomingSpanHook,
        requestHook: gate.requestHook,
      }),
      // The plan's request.size / response.size, set once the response has ended.
      applyCustomAttributesOnSpan: (span, request, response) => {
        if (!('getHeader' in response) || !('headers' in request)) return;
        const requestSize = Number(request.headers['content-length']);
        if (Number.isFinite(requestSize)) span.setAttribute('request.size', requestSize);
        if (!response.writableFinished && !closedEarly(span, response)) return;
        // Node sends no body for HEAD, 204 and 304: content-length announces one it does not send.
        const status = response.statusCode;
        const responseSize =
          request.method === 'HEAD' || status === 204 || status === 304
            ? 0
            : Number(response.getHeader('content-length'));
        if (Number.isFinite(responseSize)) span.setAttribute('response.size', responseSize);
      },
    }),
    new ExpressInstrumentation({ ignoreLayers: [QUIET_LAYERS] }),
    new UndiciInstrumentation(),
    // Log correlation (trace_id/span_id on records) always; the OTLP transport only with logs on.
    new WinstonInstrumentation({ disableLogSending: !config.logs }),
  ];
}
