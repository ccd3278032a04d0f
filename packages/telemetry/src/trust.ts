import type { IncomingMessage } from 'node:http';
import { propagation, type Attributes } from '@opentelemetry/api';

/** Whom a service takes trace context from: everyone, no one, or the requests a test accepts. */
export type TraceContextTrust = boolean | ((req: IncomingMessage) => boolean);

const NO_ATTRIBUTES: Attributes = Object.freeze({});

/**
 * The http instrumentation's `startIncomingSpanHook` for a service that does not continue every
 * caller's trace: it runs before the instrumentation extracts the request's context, and takes
 * the headers of the configured propagators (`traceparent`, `tracestate`, `baggage`, B3's…) off
 * a request it does not trust, so its server span starts a trace of its own, with no baggage,
 * and the app and the next service never see what the caller sent. Undefined when every request
 * is trusted: no hook, no cost.
 */
export function traceContextGate(
  trust: TraceContextTrust,
): ((req: IncomingMessage) => Attributes) | undefined {
  if (trust === true) return undefined;
  let fields: string[] | undefined;
  let warned = false;
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
  return (req) => {
    if (trusted(req)) return NO_ATTRIBUTES;
    // Read once the SDK has set the global propagator (OTEL_PROPAGATORS), at the first request.
    fields ??= propagation.fields().map((name) => name.toLowerCase());
    const headers = req.headers;
    for (const name of fields) if (headers[name] !== undefined) delete headers[name];
    return NO_ATTRIBUTES;
  };
}
