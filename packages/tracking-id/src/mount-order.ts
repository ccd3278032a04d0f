import type { Request } from 'express';
import { eachLayer, isLayerOf, type Handle, type Layer } from './layers';

/** A layer that answers requests of its own: a route, a router, or a mounted sub-app. */
function isRouting(layer: Layer): boolean {
  if (layer.route != null) return true;
  const handle = layer.handle as Handle;
  const original = (handle.__wrapped === true ? handle.__original : handle) as Handle | undefined;
  return Array.isArray(handle.stack) || original?.name === 'mounted_app';
}

function routingIn(stack: readonly Layer[], from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (isRouting(stack[i]!)) n++;
  return n;
}

/**
 * Warns (once per call, `AI_TEAMS_MOUNT_ORDER`) when `middleware` sits after every route of the
 * router it is mounted on: the requests those routes answer never reach it, only the ones no
 * route matched. A middleware with routes (or routers) after it stays quiet, so one mounted
 * after `/health` on purpose is not reported. Call it from the middleware on its first request.
 *
 * @param call how the user mounted it, e.g. `trackingId()`
 * @param lost what those requests miss, e.g. `no X-Tracking-ID header`
 * @returns whether it warned
 */
export function warnIfAfterRoutes(
  req: Request,
  middleware: (...args: never[]) => unknown,
  call: string,
  lost: string,
): boolean {
  let found = 0;
  let late = 0;
  let before = 0;
  try {
    eachLayer(req, (layer, stack, index) => {
      if (!isLayerOf(layer, middleware)) return false;
      found++;
      const routesBefore = routingIn(stack, 0, index);
      if (routesBefore > 0 && routingIn(stack, index + 1, stack.length) === 0) {
        late++;
        before = Math.max(before, routesBefore);
      }
      return true;
    });
  } catch {
    return false; // a router of an unexpected shape: no diagnostic rather than a failed request
  }
  if (found === 0 || late < found) return false;
  process.emitWarning(
    `${call} is mounted after every route of its app or router (${before} before it, none after): the requests those routes answer never reach it, so they get ${lost}; only requests no route matched do. Mount it before the routes, e.g. app.use(${call}) right after creating the app.`,
    { code: 'AI_TEAMS_MOUNT_ORDER' },
  );
  return true;
}
