import { randomBytes } from 'node:crypto';
import { INVALID_TRACEID, isValidTraceId } from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';

const HEX32 = /^[0-9a-f]{32}$/;

/** A W3C-valid trace id: 32 lower-case hex, not all zeros. */
export function isTrackingId(value: unknown): value is string {
  return typeof value === 'string' && HEX32.test(value) && value !== INVALID_TRACEID;
}

/** Fresh random id in trace-id form; never the all-zero (invalid) id. */
export function randomTrackingId(): string {
  let id: string;
  do id = randomBytes(16).toString('hex');
  while (id === INVALID_TRACEID);
  return id;
}

/** The trace id of a valid W3C `traceparent` header, else undefined. */
export function traceIdFromTraceparent(header: string | string[] | undefined): string | undefined {
  // A repeated header is ambiguous: W3C says to ignore it. Node hands repeats over as an
  // array, or joined with ", " (the comma then reads as a future version's extra field).
  if (typeof header !== 'string' || header.length > 512 || header.includes(',')) return undefined;
  const parsed = parseTraceParent(header);
  return parsed && isValidTraceId(parsed.traceId) ? parsed.traceId : undefined;
}

/** A client-sent tracking id, accepted only in canonical trace-id form. */
export function trustedIncomingId(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string' || header.length !== 32) return undefined;
  const id = header.toLowerCase();
  return isTrackingId(id) ? id : undefined;
}
