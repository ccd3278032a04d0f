import type { Request } from 'express';
import { context, trace } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';

/**
 * A layer handle as `@opentelemetry/instrumentation` wraps it (its copy of shimmer: the three
 * properties its exported `isWrapped()` checks).
 */
interface Wrapped {
  (...args: unknown[]): unknown;
  __original?: unknown;
  __unwrap?: () => void;
  __wrapped?: boolean;
  /** A router's layers (copied onto the instrumentation's wrapper as well). */
  stack?: unknown;
}

interface AppLike {
  /** Express 5 */
  router?: { stack?: unknown };
  /** Express 4 */
  _router?: { stack?: unknown };
}

/** The name of the function `@opentelemetry/instrumentation-express` wraps a layer's handle in. */
const OTEL_WRAPPER = 'patched';

/** Bounds on the search, so an app of any shape costs a few microseconds, once. */
const MAX_DEPTH = 8;
const MAX_LAYERS = 2000;

/** Unwraps every layer of the request's app (and its mounted routers) whose handle wraps `fn`. */
function unwrapLayersOf(req: Request, fn: unknown): void {
  const app = (req as unknown as { app?: AppLike }).app;
  let visited = 0;
  const walk = (stack: unknown, depth: number): void => {
    if (!Array.isArray(stack) || depth > MAX_DEPTH) return;
    for (const layer of stack as { handle?: Wrapped }[]) {
      if (++visited > MAX_LAYERS) return;
      const handle = layer?.handle;
      if (typeof handle !== 'function') continue;
      if (handle.__wrapped === true && handle.__original === fn) {
        // Only the OpenTelemetry express instrumentation's wrapper (its function is named
        // `patched`): another tool's shimmer wrapper may do work of its own. Should that name
        // change, the wrapper simply stays.
        if (handle.name === OTEL_WRAPPER && typeof handle.__unwrap === 'function')
          handle.__unwrap();
        continue;
      }
      walk(handle.stack, depth + 1);
    }
  };
  walk(routerStack(app), 0);
}

function routerStack(app: AppLike | undefined): unknown {
  if (!app) return undefined;
  // Express 4 first: its `app.router` is a getter that throws (a 3.x leftover).
  if (app._router) return app._router.stack;
  try {
    return app.router?.stack;
  } catch {
    return undefined;
  }
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
