import { AsyncLocalStorage } from 'node:async_hooks';
import { context, type Span } from '@opentelemetry/api';
import { getRPCMetadata, type RPCMetadata } from '@opentelemetry/core';
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
 * With the http instrumentation, the store rides on the request's RPC metadata: the
 * per-request object the instrumentation keeps in the context of every callback of the
 * request (it binds req/res emitters), and on which the express instrumentation records the
 * route. Nothing more has to be propagated per request.
 */
type Metadata = RPCMetadata & { [STORE]?: RequestStore };

export function requestMetadata(): Metadata | undefined {
  return getRPCMetadata(context.active());
}

export function attachStore(metadata: Metadata, store: RequestStore): void {
  metadata[STORE] ??= store;
}

export function currentStore(): RequestStore | undefined {
  return requestStorage.getStore() ?? requestMetadata()?.[STORE];
}

/** The current request's tracking id, anywhere in its async chain; undefined outside one. */
export function getTrackingId(): string | undefined {
  return currentStore()?.trackingId;
}

/** The business context set so far by `setRequestContext()` for the current request. */
export function getRequestContext(): Readonly<RequestContext> | undefined {
  return currentStore()?.context;
}
