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
/** Both B3 encodings' headers: its single `b3` and its multi `X-B3-*` ones. */
const B3_FIELDS = [
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-sampled',
  'x-b3-flags',
  'x-b3-parentspanid',
];

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
  /**
   * For a request of `ignorePaths` (no span, no extraction): its trace context is taken off all
   * the same, so tracking-id does not answer with the caller's trace id.
   */
  ignoredRequest(req: IncomingMessage): void;
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
  /**
   * Takes the trace context off `req`: the headers the propagators in force name, `traceparent`
   * and `tracestate` whatever they are (tracking-id reads `traceparent` itself where no span
   * continues it: an ignored path, OTEL_SDK_DISABLED), and both B3 encodings' headers when B3
   * is in force (its extraction reads the single and the multi-header form whichever it
   * injects, and its fields list only the one). Returns the caller's span context the
   * instrumentation would have continued.
   */
  const strip = (req: IncomingMessage): SpanContext | undefined => {
    // Read once the SDK has set the global propagator (OTEL_PROPAGATORS), at the first request.
    if (!fields) {
      const named = propagation.fields().map((n) => n.toLowerCase());
      const b3 = named.some((n) => n === 'b3' || n.startsWith('x-b3-')) ? B3_FIELDS : [];
      fields = [...new Set(['traceparent', 'tracestate', ...named, ...b3])];
    }
    const headers = req.headers;
    const removed = new Set(fields.filter((name) => headers[name] !== undefined));
    if (removed.size === 0) return undefined;
    const found = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, headers));
    for (const name of removed) delete headers[name];
    // Nor may req.headersDistinct or req.rawHeaders keep them. Node builds the first from the
    // second at its first read, up to the count it parsed: built here, before the second shrinks.
    const distinct = req.headersDistinct;
    for (const name of removed) delete distinct[name];
    const raw = req.rawHeaders;
    let kept = 0;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (removed.has(raw[i]!.toLowerCase())) continue;
      raw[kept++] = raw[i]!;
      raw[kept++] = raw[i + 1]!;
    }
    raw.length = kept;
    return found && isSpanContextValid(found) ? found : undefined;
  };
  return {
    startIncomingSpanHook(req) {
      if (trusted(req)) return NO_ATTRIBUTES;
      const caller = strip(req);
      if (caller) callers.set(req, caller);
      return NO_ATTRIBUTES;
    },
    ignoredRequest(req) {
      if (!trusted(req)) strip(req);
    },
    requestHook(span, req) {
      const caller = callers.get(req as IncomingMessage);
      if (caller) span.addLink({ context: caller });
    },
  };
}
