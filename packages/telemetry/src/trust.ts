import type { ClientRequest, IncomingMessage } from 'node:http';
import {
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Attributes,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';

/** Whom a service takes trace context from: everyone, no one, or the requests a test accepts. */
export type TraceContextTrust = boolean | ((req: IncomingMessage) => boolean);

const NO_ATTRIBUTES: Attributes = Object.freeze({});

/** The http instrumentation's hooks for a service that does not continue every caller's trace. */
export interface TraceContextGate {
  /**
   * `startIncomingSpanHook`: runs before the instrumentation extracts the request's context,
   * and takes the headers of the configured propagators (`traceparent`, `tracestate`,
   * `baggage`, B3's…) off a request it does not trust, so its server span starts a trace of
   * its own, with no baggage, and the app and the next service never see what the caller sent.
   */
  startIncomingSpanHook(req: IncomingMessage): Attributes;
  /**
   * `requestHook`: links the server span to the caller's span context it took off, as
   * OpenTelemetry's "public endpoint" instrumentations do: the caller's trace stays one click
   * away without being continued.
   */
  requestHook(span: Span, req: IncomingMessage | ClientRequest): void;
}

/** The gate for `trust`; undefined when every request is trusted: no hook, no cost. */
export function traceContextGate(trust: TraceContextTrust): TraceContextGate | undefined {
  if (trust === true) return undefined;
  let fields: string[] | undefined;
  let warned = false;
  // The caller's span context of each request whose headers were taken off, for its link.
  const callers = new WeakMap<IncomingMessage, SpanContext>();
  const trusted = (req: IncomingMessage): boolean => {
    if (trust === false) return false;
    try {
      return trust(req) === true;
    } catch (err) {
      // Fail closed: a broken test must not let outside callers pick the trace.
      if (!warned) {
        warned = true;
        process.emitWarning(
          `trustIncomingTraceContext threw (${err instanceof Error ? err.message : String(err)}); ` +
            'requests it throws for start a trace of their own. Shown once.',
          { code: 'AI_TEAMS_TELEMETRY_TRUST' },
        );
      }
      return false;
    }
  };
  return {
    startIncomingSpanHook(req) {
      if (trusted(req)) return NO_ATTRIBUTES;
      // Read once the SDK has set the global propagator (OTEL_PROPAGATORS), at the first request.
      fields ??= propagation.fields().map((name) => name.toLowerCase());
      const headers = req.headers;
      if (!fields.some((name) => headers[name] !== undefined)) return NO_ATTRIBUTES;
      const caller = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, headers));
      if (caller && isSpanContextValid(caller)) callers.set(req, caller);
      for (const name of fields) delete headers[name];
      return NO_ATTRIBUTES;
    },
    requestHook(span, req) {
      const caller = callers.get(req as IncomingMessage);
      if (caller) span.addLink({ context: caller });
    },
  };
}
