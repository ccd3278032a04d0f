import { IncomingMessage } from 'node:http';
import type { Request } from 'express';

// Symbol.for, under the names otel-metrics gave them first: every copy of this code in a
// process (two versions of a package, an older otel-metrics) shares one accessor.
const ROUTE = Symbol.for('@ai-teams/otel-metrics.route');
const ON_ROUTE = Symbol.for('@ai-teams/otel-metrics.onRoute');
const ROUTE_BASE = Symbol.for('@ai-teams/tracking-id.routeBase');
// A new name for the accessor that also keeps the mount: an older copy's accessor (without it)
// is replaced, and still serves its listeners through ON_ROUTE.
const PATCHED = Symbol.for('@ai-teams/tracking-id.routeAccessor');

/** Told each time Express assigns `req.route`. */
export interface RouteListener {
  /** Called with the route Express just assigned, while `req.baseUrl` is still its mount. */
  routed(route: unknown): void;
}
type Hook = RouteListener;
type Hooked = Request & { [ROUTE]?: unknown; [ROUTE_BASE]?: string; [ON_ROUTE]?: Hook };

const ready = new WeakSet<object>();

/**
 * Express sets `req.route` when a route matches, while `req.baseUrl` is still that router's
 * mount; the mount is undone on the way out (before an error reaches the final handler), so
 * the endpoint must be taken at that moment. An accessor on Express's own request prototype
 * (the object right above `http.IncomingMessage.prototype`) sees the assignment. It is
 * installed once per Express copy: a per-request `defineProperty` would turn every request
 * object into a slow dictionary object (measured: -40% throughput).
 * Returns false when `req` is not an Express request of the expected shape.
 */
function install(req: Request): boolean {
  const appRequest = Object.getPrototypeOf(req) as object | null;
  if (appRequest && ready.has(appRequest)) return true;
  let base = appRequest;
  while (base && Object.getPrototypeOf(base) !== IncomingMessage.prototype) {
    base = Object.getPrototypeOf(base) as object | null;
  }
  if (!base || Object.prototype.hasOwnProperty.call(req, 'route')) return false;
  if (!(base as Record<symbol, unknown>)[PATCHED]) {
    Object.defineProperty(base, 'route', {
      configurable: true,
      enumerable: true,
      get(this: Hooked) {
        return this[ROUTE];
      },
      set(this: Hooked, route: unknown) {
        this[ROUTE] = route;
        // The mount as it is now: an error unwinds it before the response ends.
        this[ROUTE_BASE] = this.baseUrl;
        this[ON_ROUTE]?.routed(route);
      },
    });
    Object.defineProperty(base, PATCHED, { value: true });
  }
  ready.add(appRequest!);
  return true;
}

/**
 * For middleware authors: makes `matchedRouteTemplate(req)` keep the router mounts of the route
 * `req` matches (an accessor installed once per Express copy; nothing per request). Call it
 * before the routes run. Returns false when `req` is not an Express request it can hook.
 */
export function hookRoutes(req: Request): boolean {
  return install(req);
}

/**
 * The template of the route `req` matched (`routeTemplate()`), with the router mounts as they
 * were when it matched when `hookRoutes()` ran for it, else as they are now. Undefined when no
 * route matched.
 */
export function matchedRouteTemplate(req: Request): string | undefined {
  const r = req as Hooked;
  const route = r.route as Parameters<typeof routeTemplate>[1];
  if (!route) return undefined;
  return routeTemplate(r[ROUTE_BASE] ?? req.baseUrl, route);
}

/**
 * For middleware authors: tells `listener` each time Express assigns `req.route` (when a route
 * matches, with `req.baseUrl` still that route's router mount), so the full route template can
 * be taken then; by the time the response ends, an error may have unwound the mounts. Returns
 * false when `req` is not an Express request it can hook (then read `req.route` yourself).
 */
export function onRoute(req: Request, listener: RouteListener): boolean {
  if (!install(req)) return false;
  const r = req as Hooked;
  const previous = r[ON_ROUTE];
  r[ON_ROUTE] = previous
    ? {
        routed(route) {
          previous.routed(route);
          listener.routed(route);
        },
      }
    : listener;
  return true;
}

type RoutePath = string | RegExp | RoutePath[] | undefined;

/** One path of a route under its mount; each path of an array gets the mount. */
function mounted(base: string, path: RoutePath): string {
  // An empty array matches everything under the mount (Express 4): the mount alone.
  if (Array.isArray(path))
    return path.length === 0 ? base : path.map((p) => mounted(base, p)).join(',');
  if (path instanceof RegExp)
    return base ? `${base}/regex(${path.source})` : `regex(${path.source})`;
  if (typeof path !== 'string') return base;
  return base && path === '/' ? base : base + path;
}

/**
 * The route template of a matched route with its router mounts: `baseUrl` (`/api/v1`, as
 * `req.baseUrl` is when the route matches) + the route's path (`/sessions/:id`). A root route
 * inside a mounted router (`/`) is the mount alone; a RegExp path reads `regex(source)`
 * (`/api/v2/regex(source)` under a mount); an array of paths is each path under the mount,
 * joined by commas. Undefined without a route. Express keeps only the matched text of a mount,
 * so a parameter in a mount path (`/t/:tenant`) shows its value.
 * Shared by otel-metrics' `endpoint` label and cloudwatch-logger's `request.route`.
 */
export function routeTemplate(
  baseUrl: string | undefined,
  route: { path?: RoutePath } | undefined,
): string | undefined {
  if (!route) return undefined;
  const template = mounted(baseUrl ?? '', route.path);
  return template === '' ? undefined : template;
}
