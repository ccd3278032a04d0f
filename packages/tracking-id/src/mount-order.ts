import type { Request, Response } from 'express';
import { eachLayer, isLayerOf, originalOf, type Handle, type Layer } from './layers';

/** How long a middleware that looks misplaced watches its requests before it says so. */
export const MOUNT_ORDER_WINDOW_MS = 1000;
/** At most this many of those requests are watched. */
const WATCHED = 16;

/** A layer that answers requests of its own: a route, a router, or a mounted sub-app. */
function isRouting(layer: Layer): boolean {
  if (layer.route != null) return true;
  const original = originalOf(layer) as Handle | undefined;
  return Array.isArray((layer.handle as Handle).stack) || original?.name === 'mounted_app';
}

function routingIn(stack: readonly Layer[], from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (isRouting(stack[i]!)) n++;
  return n;
}

/**
 * How many routes (routers, mounted apps) are before `middleware` where it sits after every one
 * of its stack, in each place it is mounted; undefined when it is found nowhere, or somewhere
 * with routes still after it.
 */
function routesBefore(holder: { app?: unknown }, middleware: unknown): number | undefined {
  let found = 0;
  let late = 0;
  let before = 0;
  try {
    eachLayer(holder, (layer, stack, index) => {
      if (!isLayerOf(layer, middleware)) return false;
      found++;
      const n = routingIn(stack, 0, index);
      if (n > 0 && routingIn(stack, index + 1, stack.length) === 0) {
        late++;
        before = Math.max(before, n);
      }
      return true;
    });
  } catch {
    return undefined; // a router of an unexpected shape: no diagnostic rather than a failed request
  }
  return found > 0 && late === found ? before : undefined;
}

const ERROR_HANDLER = Symbol.for('@ai-teams/tracking-id/error-handler');
type Marked = { [ERROR_HANDLER]?: unknown };

/**
 * Marks `handler`, an error-handling middleware meant to be mounted after the routes, for the
 * check of its place that `mountOrderCheck()` makes at its app's first request (see
 * `errorHandlerCheck`). `call` names it in the warning, e.g. `errorHandler()`.
 */
export function markErrorHandler(handler: object, call: string): void {
  (handler as Marked)[ERROR_HANDLER] = call;
}

/** An error-handling layer: Express calls a 4-argument function only with an error. */
function handlesErrors(layer: Layer): boolean {
  return (originalOf(layer) as (...args: unknown[]) => unknown).length === 4;
}

/**
 * The marked error handlers that sit before every route of a stack they are in (routes,
 * routers or mounted apps after them, none before) with no other error handler after those
 * routes: errors the routes raise never reach them. By call, with the most routes after one.
 */
function earlyErrorHandlers(app: unknown): Map<string, number> {
  const early = new Map<string, number>();
  try {
    eachLayer({ app }, (layer, stack, index) => {
      const call = (originalOf(layer) as Marked)[ERROR_HANDLER];
      if (typeof call !== 'string') return false;
      let last = -1;
      for (let i = index + 1; i < stack.length; i++) if (isRouting(stack[i]!)) last = i;
      if (last === -1 || routingIn(stack, 0, index) > 0) return true;
      for (let i = last + 1; i < stack.length; i++) if (handlesErrors(stack[i]!)) return true;
      early.set(call, Math.max(early.get(call) ?? 0, routingIn(stack, index + 1, last + 1)));
      return true;
    });
  } catch {
    return new Map(); // a router of an unexpected shape: no diagnostic rather than a failed request
  }
  return early;
}

const errorHandlersChecked = new WeakSet<object>();

/**
 * Once per app, at the first request one of the packages' middleware sees: a marked error
 * handler (`markErrorHandler()`) mounted before every route, checked again `windowMs` later
 * (routes added after the app started listening count), gets an `AI_TEAMS_MOUNT_ORDER` warning.
 */
function errorHandlerCheck(app: unknown, windowMs: number): void {
  if (typeof app !== 'function' || errorHandlersChecked.has(app)) return;
  errorHandlersChecked.add(app);
  if (earlyErrorHandlers(app).size === 0) return;
  setTimeout(() => {
    for (const [call, after] of earlyErrorHandlers(app)) {
      process.emitWarning(
        `${call} is mounted before every route of its app or router (${after} ${after === 1 ? 'route, router or mounted app' : 'routes, routers or mounted apps'} after it, none before): errors those routes raise never reach it, so it logs none of them and records none on their spans (those that no handler of the routes' own catches get Express's default answer). Mount it after the routes, last: app.use(${call}).`,
        { code: 'AI_TEAMS_MOUNT_ORDER' },
      );
    }
  }, windowMs).unref?.();
}

/** What `mountOrderCheck()` returns: called with each request until it returns `true`. */
export type MountOrderCheck = (req: Request, res: Response) => boolean;

/**
 * A check of where `middleware` is mounted, for the middleware to call with each request until
 * it returns `true` (done). It warns once, `AI_TEAMS_MOUNT_ORDER`, when the middleware sits after
 * every route of the router it is mounted on, so that the requests those routes answer never
 * reach it. Both must hold:
 * - the app's layers: routes, routers or mounted apps before it and none after, at its first
 *   request and again `windowMs` later (routes an app adds after it started listening count);
 * - the requests that reach it in that time (at most 16 watched; OPTIONS, which Express answers
 *   itself, not watched) have all closed, at least one of them finished with 404 and none with
 *   another status: a proxy, `express.static` or any other middleware after it that answers
 *   them keeps it quiet, also while it is still answering. A request the client left counts
 *   for neither.
 * Only the first request walks the layers; the watched ones get a `close` listener. After the
 * window the caller stops calling.
 *
 * @param call how the user mounted it, e.g. `trackingId()`
 * @param lost what those requests miss, e.g. `no X-Tracking-ID header`
 */
export function mountOrderCheck(
  middleware: (...args: never[]) => unknown,
  call: string,
  lost: string,
  windowMs = MOUNT_ORDER_WINDOW_MS,
): MountOrderCheck {
  let watching = false;
  let done = false;
  let watched = 0;
  let open = 0;
  let notFound = 0;
  let answered = false;
  function onClose(this: Response): void {
    open--;
    if (!this.writableFinished) return; // the client left: says nothing either way
    if (this.statusCode === 404) notFound++;
    else answered = true;
  }
  const watch = (req: Request, res: Response) => {
    // OPTIONS: Express answers it itself, after every layer, whatever is mounted there.
    if (watched >= WATCHED || req?.method === 'OPTIONS' || typeof res?.once !== 'function') return;
    // Closed already (its client left while an earlier middleware waited): no 'close' to come.
    if ((res as { closed?: boolean }).closed === true) return;
    watched++;
    open++;
    res.once('close', onClose);
  };
  return (req, res) => {
    if (done) return true;
    if (watching) {
      watch(req, res);
      return false;
    }
    const app = (req as unknown as { app?: unknown } | undefined)?.app;
    errorHandlerCheck(app, windowMs);
    if (routesBefore({ app }, middleware) === undefined) return (done = true);
    watching = true;
    watch(req, res);
    const decide = setTimeout(() => {
      done = true;
      // A watched request still being answered (a slow proxy after it) may yet answer: quiet.
      if (answered || open > 0 || notFound === 0) return;
      const before = routesBefore({ app }, middleware);
      if (before === undefined) return;
      process.emitWarning(
        `${call} is mounted after every route of its app or router (${before} ${before === 1 ? 'route, router or mounted app' : 'routes, routers or mounted apps'} before it, none after), and the requests that reach it end in 404: the requests those routes answer never reach it, so they get ${lost}. Mount it before the routes, e.g. app.use(${call}) right after creating the app.`,
        { code: 'AI_TEAMS_MOUNT_ORDER' },
      );
    }, windowMs);
    decide.unref?.();
    return false;
  };
}
