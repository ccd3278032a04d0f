import { isSpanContextValid, trace } from '@opentelemetry/api';
import {
  REQUEST_TRACKING_ID,
  getRequestContext,
  getTrackingId,
  type RequestContext,
} from '@ai-teams/tracking-id';
import { detached } from './sanitize';

/** What a line takes from the request it is written in, captured where the call is made. */
export interface LineContext {
  trackingId: string | undefined;
  traceId: string | undefined;
  spanId: string | undefined;
  request: Readonly<RequestContext> | undefined;
}

/** Set on the record by the logger-level format, read by the JSON line (invisible to JSON). */
export const CONTEXT = Symbol.for('@ai-teams/cloudwatch-logger/context');

export function captureContext(): LineContext {
  const sc = trace.getActiveSpan()?.spanContext();
  const valid = sc !== undefined && isSpanContextValid(sc);
  return {
    trackingId: getTrackingId(),
    traceId: valid ? sc.traceId : undefined,
    spanId: valid ? sc.spanId : undefined,
    request: getRequestContext(),
  };
}

const REQUEST_SECTIONS = ['user', 'session', 'workflow', 'operation'] as const;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const HEX32 = /^[0-9a-f]{32}$/;
/** Longest `tracking_id` of a call's own (a job's id): the line's cap, applied once. */
const MAX_OWN_ID = 64;

/**
 * Adds `tracking_id` and the request context sections to the record itself, so every
 * transport (stdout, OTLP) carries them. Meta given in the call wins over the request context,
 * but for `tracking_id`: the id the packages hand over under `REQUEST_TRACKING_ID` (the request's
 * own, which survives a lost async context) wins; else, inside a request or span, the current
 * id, whatever the call's `tracking_id` says (a logged request body's is the client's text, and
 * the line must stay the request's); else the call's `tracking_id`.
 */
export function enrich(info: Record<string | symbol, unknown>): LineContext {
  const ctx = captureContext();
  info[CONTEXT] = ctx;
  const handed = info[REQUEST_TRACKING_ID];
  const current = ctx.trackingId ?? ctx.traceId;
  if (typeof handed === 'string' && HEX32.test(handed)) info.tracking_id = handed;
  else if (current !== undefined) info.tracking_id = current;
  else {
    const own = info.tracking_id;
    if (typeof own !== 'string' || own === '') {
      const injected = info.trace_id;
      info.tracking_id =
        typeof injected === 'string' && HEX32.test(injected) ? injected : 'unknown';
    } else if (own.length > MAX_OWN_ID) {
      // Cut here, on the record, so every transport (the OTLP copy) has the line's value.
      info.tracking_id = detached(own.slice(0, MAX_OWN_ID));
    }
  }
  const request = ctx.request;
  if (request) {
    for (const section of REQUEST_SECTIONS) {
      const fromRequest = request[section];
      if (!fromRequest) continue;
      const own = info[section];
      if (own === undefined) info[section] = fromRequest;
      else if (isPlainObject(own)) info[section] = { ...fromRequest, ...own };
      // The shorthand (`user: 'u-1'`, `operation: 'create'`) is the section's id or name.
      else if (typeof own === 'string')
        info[section] = { ...fromRequest, [section === 'operation' ? 'name' : 'id']: own };
    }
  }
  return ctx;
}
