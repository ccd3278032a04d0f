import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, context, trace, type Context, type Span } from '@opentelemetry/api';
import { getRPCMetadata, setRPCMetadata, type RPCMetadata } from '@opentelemetry/core';
import type { RequestContext } from './types';

export interface RequestStore {
  trackingId: string;
  /** The request's server span, when the http instrumentation opened one. */
  serverSpan: Span | undefined;
  context: RequestContext;
}

/** Without the http instrumentation, the request chain carries its store itself. */
export const requestStorage = new AsyncLocalStorage<RequestStore>();

const STORE = Symbol('@ai-teams/tracking-id');

/**
 * With the http instrumentation, the request rides on its RPC metadata: the per-request object
 * the instrumentation keeps in the context of every callback of the request (it binds req/res
 * emitters), and on which the express instrumentation records the route. Nothing more has to be
 * propagated per request. `SERVER_TRACE` marks a request whose tracking id is its server span's
 * trace id (the usual case): no store object is made for it until `setRequestContext()` needs one.
 */
const SERVER_TRACE = true;
type Metadata = RPCMetadata & { [STORE]?: RequestStore | typeof SERVER_TRACE };
/**
 * On the request: its RPC metadata, as the first trackingId() it passes saw it. Kept on the
 * request, not the other way round: a metadata that referenced its request made every context
 * that outlives its request hold the whole request (measured: the full stack's p99 at a steady
 * 3000 req/s went from 5-18 ms to 27-40 ms).
 */
const METADATA = Symbol('@ai-teams/tracking-id/metadata');
type MetadataOf = { [METADATA]?: Metadata };

/** On the request: the store a first pass through trackingId() gave it, when it made one. */
export const REQUEST_STORE = Symbol('@ai-teams/tracking-id/request-store');
export type StoreOf = { [REQUEST_STORE]?: RequestStore };

export function requestMetadata(): Metadata | undefined {
  return getRPCMetadata(context.active());
}

/**
 * The active context when it is `req`'s own and its span is `req`'s server span, as in a
 * middleware the express instrumentation makes no span for, mounted after trackingId(). Else
 * undefined: no SDK, no trackingId() before it, a layer span or a span of the app's active, or
 * the context of another request (one lost by a middleware that called `next()` from a
 * callback of another request's).
 */
export function serverContext(req: object): Context | undefined {
  const active = context.active();
  const metadata = getRPCMetadata(active);
  return metadata !== undefined &&
    (req as MetadataOf)[METADATA] === metadata &&
    metadata.span !== undefined &&
    trace.getSpan(active) === metadata.span
    ? active
    : undefined;
}

/**
 * Marks the request as tracked by its server span's trace id, and keeps its metadata on `req`:
 * only a metadata no request has claimed yet, so a request that reaches trackingId() in another
 * request's context (lost by a middleware before it) is not given that request's.
 */
export function markServerTrace(metadata: Metadata, req: object): void {
  if (metadata[STORE] !== undefined) return;
  metadata[STORE] = SERVER_TRACE;
  (req as MetadataOf)[METADATA] = metadata;
}

export function attachStore(metadata: Metadata, store: RequestStore): void {
  if (metadata[STORE] === undefined) metadata[STORE] = store;
}

function storeOf(metadata: Metadata): RequestStore | undefined {
  const store = metadata[STORE];
  if (store !== SERVER_TRACE) return store;
  // First setRequestContext() of the request: now it needs a store of its own.
  const made: RequestStore = {
    trackingId: metadata.span!.spanContext().traceId,
    serverSpan: metadata.span,
    context: {},
  };
  metadata[STORE] = made;
  return made;
}

export function currentStore(): RequestStore | undefined {
  const own = requestStorage.getStore();
  if (own) return own;
  const metadata = requestMetadata();
  return metadata ? storeOf(metadata) : undefined;
}

/** The current request's tracking id, anywhere in its async chain; undefined outside one. */
export function getTrackingId(): string | undefined {
  const own = requestStorage.getStore();
  if (own) return own.trackingId;
  const metadata = requestMetadata();
  const store = metadata?.[STORE];
  if (store === undefined) return undefined;
  // SERVER_TRACE is only set when the server span's context was valid.
  return store === SERVER_TRACE ? metadata!.span!.spanContext().traceId : store.trackingId;
}

const EMPTY: Readonly<RequestContext> = Object.freeze({});

/** The business context set so far by `setRequestContext()` for the current request. */
export function getRequestContext(): Readonly<RequestContext> | undefined {
  const own = requestStorage.getStore();
  if (own) return own.context;
  const store = requestMetadata()?.[STORE];
  if (store === undefined) return undefined;
  return store === SERVER_TRACE ? EMPTY : store.context;
}

/**
 * Runs `fn` in `req`'s own request context and returns what it returns. Inside, getTrackingId(),
 * getRequestContext(), setRequestContext() and the active span are `req`'s, as they are in its
 * own handlers. For a callback that lost its request's context, typically one a connection pool
 * or a queue runs in the context of whichever request released it: a log line written there
 * carries the other request's id, user and trace. In `req`'s context already (or for a request
 * trackingId() never saw) it only calls `fn`.
 */
export function runInRequestContext<T>(req: object, fn: () => T): T {
  const metadata = (req as MetadataOf)[METADATA];
  if (metadata !== undefined) {
    const active = context.active();
    if (getRPCMetadata(active) === metadata) return fn();
    // The request's server span, whatever span is active: one of the request's trace may be
    // another request's (a fan-out or a retry sends two requests of one trace at once), and
    // nothing tells the two apart. Errors the express instrumentation hands to next() already
    // sit on the layer span it ended.
    return context.with(trace.setSpan(setRPCMetadata(ROOT_CONTEXT, metadata), metadata.span!), fn);
  }
  const store = (req as StoreOf)[REQUEST_STORE];
  if (store === undefined || currentStore() === store) return fn();
  return requestStorage.run(store, fn);
}
