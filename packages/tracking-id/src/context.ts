import { AsyncLocalStorage } from 'node:async_hooks';
import { context, type Span } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';
import type { RequestContext } from './types';

export interface RequestStore {
  trackingId: string;
  /** The request's server span, when the http instrumentation opened one. */
  serverSpan: Span | undefined;
  context: RequestContext;
}

/** Without the http instrumentation, the request chain carries its store itself. */
export const requestStorage = new AsyncLocalStorage<RequestStore>();

/**
 * With the http instrumentation, the store hangs off the request's server span: the
 * instrumentation already keeps that span in the context of every callback of the request
 * (it binds req/res emitters), so nothing more has to be propagated per request.
 */
export const storeBySpan = new WeakMap<Span, RequestStore>();

/** The request's server span, kept in the context's RPC metadata by the http instrumentation. */
export function instrumentedServerSpan(): Span | undefined {
  return getRPCMetadata(context.active())?.span;
}

export function currentStore(): RequestStore | undefined {
  const fromChain = requestStorage.getStore();
  if (fromChain) return fromChain;
  const span = instrumentedServerSpan();
  return span && storeBySpan.get(span);
}

/** The current request's tracking id, anywhere in its async chain; undefined outside one. */
export function getTrackingId(): string | undefined {
  return currentStore()?.trackingId;
}

/** The business context set so far by `setRequestContext()` for the current request. */
export function getRequestContext(): Readonly<RequestContext> | undefined {
  return currentStore()?.context;
}
