import type { Request } from 'express';
import { context, trace } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';
import { eachLayer, isLayerOf, type Handle } from './layers';

/** The name of the function `@opentelemetry/instrumentation-express` wraps a layer's handle in. */
const OTEL_WRAPPER = 'patched';

/** Unwraps every layer of the request's app (and its mounted routers) whose handle wraps `fn`. */
function unwrapLayersOf(req: Request, fn: unknown): void {
  eachLayer(req, (layer) => {
    const handle = layer.handle as Handle;
    if (handle === fn || !isLayerOf(layer, fn)) return false;
    // Only the OpenTelemetry express instrumentation's wrapper (its function is named
    // `patched`): another tool's shimmer wrapper may do work of its own. Should that name
    // change, the wrapper simply stays.
    if (handle.name === OTEL_WRAPPER && typeof handle.__unwrap === 'function') handle.__unwrap();
    return true;
  });
}

/**
 * For middleware that the OpenTelemetry express instrumentation is told to skip (its
 * `ignoreLayers`, which `@ai-teams/telemetry` sets for this project's middleware): takes the
 * instrumentation's wrapper off that middleware's layer. The wrapper of a skipped layer makes
 * no span, yet still runs its route bookkeeping on every request (about 0.6 µs per layer,
 * measured by `npm run bench:tracking-id -w @ai-teams/benchmarks`).
 *
 * Call it from inside the middleware, with the middleware itself, until it returns `true`. It
 * looks at the request once a server span is active: if that span is still the active one
 * inside the middleware, no layer span was made for it, and the wrapper is removed (with
 * shimmer's own `__unwrap`). If the instrumentation did make a layer span, nothing changes.
 *
 * @returns `true` once settled (a traced request was seen), `false` while there was none.
 */
export function unwrapSkippedLayer(
  req: Request,
  middleware: (...args: never[]) => unknown,
): boolean {
  const active = context.active();
  const server = getRPCMetadata(active)?.span;
  if (!server) return false;
  if (trace.getSpan(active) === server) unwrapLayersOf(req, middleware);
  return true;
}
