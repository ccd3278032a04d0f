import type { Request } from 'express';

/**
 * A layer handle, possibly as `@opentelemetry/instrumentation` wraps it (its copy of shimmer:
 * the three properties its exported `isWrapped()` checks).
 */
export interface Handle {
  (...args: unknown[]): unknown;
  __original?: unknown;
  __unwrap?: () => void;
  __wrapped?: boolean;
  /** A router's layers (copied onto the instrumentation's wrapper as well). */
  stack?: unknown;
}

/** An Express 4 or 5 router layer, as far as this package reads one. */
export interface Layer {
  handle?: unknown;
  /** Set on the layer of `app.get(path, …)` and the other route methods. */
  route?: unknown;
}

interface AppLike {
  /** Express 5 */
  router?: { stack?: unknown };
  /** Express 4 */
  _router?: { stack?: unknown };
}

/** Bounds on a walk, so an app of any shape costs a few microseconds, once. */
const MAX_DEPTH = 8;
const MAX_LAYERS = 2000;

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

/** The function a layer runs: its handle, or what the express instrumentation's wrapper wraps. */
export function originalOf(layer: Layer): unknown {
  const handle = layer.handle as Handle | undefined;
  return handle?.__wrapped === true ? handle.__original : handle;
}

/** Whether `layer` runs `fn`: its handle is `fn`, or the express instrumentation's wrapper of it. */
export function isLayerOf(layer: Layer, fn: unknown): boolean {
  return layer.handle === fn || originalOf(layer) === fn;
}

/**
 * Calls `visit` for every layer of the request's app and of the routers mounted in it, depth
 * first, with the stack the layer is in and its index there; a layer whose handle `visit`
 * claims (returns `true`) is not descended into.
 */
export function eachLayer(
  req: Request | { app?: unknown },
  visit: (layer: Layer, stack: readonly Layer[], index: number) => boolean | void,
): void {
  const app = (req as { app?: AppLike }).app;
  let visited = 0;
  const walk = (stack: unknown, depth: number): void => {
    if (!Array.isArray(stack) || depth > MAX_DEPTH) return;
    const layers = stack as Layer[];
    for (let i = 0; i < layers.length; i++) {
      if (++visited > MAX_LAYERS) return;
      const layer = layers[i];
      if (typeof layer?.handle !== 'function') continue;
      if (visit(layer, layers, i) === true) continue;
      walk((layer.handle as Handle).stack, depth + 1);
    }
  };
  walk(routerStack(app), 0);
}
