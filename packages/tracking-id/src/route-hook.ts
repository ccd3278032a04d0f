import { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import { patternMatches } from './mount-pattern';
import { requestPath } from './request-path';

// Symbol.for, under the names otel-metrics gave them first: every copy of this code in a
// process (two versions of a package, an older otel-metrics) shares one accessor.
const ROUTE = Symbol.for('@ai-teams/otel-metrics.route');
const ON_ROUTE = Symbol.for('@ai-teams/otel-metrics.onRoute');
const ROUTE_BASE = Symbol.for('@ai-teams/tracking-id.routeBase');
const BASE_URL = Symbol.for('@ai-teams/tracking-id.baseUrl');
const MOUNTS = Symbol.for('@ai-teams/tracking-id.mounts');
const ENTERED = Symbol.for('@ai-teams/tracking-id.enteredMatch');
// A new name for the accessors that also keep the mounts' templates: an older copy's accessor
// (route alone, or route and the matched mount) is replaced, and still serves its listeners
// through ON_ROUTE.
const PATCHED = Symbol.for('@ai-teams/tracking-id.mountAccessor');
// The names older copies look for before they install theirs: set too, so that one installing
// after this accessor keeps it, rather than putting back a `route` accessor that keeps no mount.
const OLDER_PATCHED = [
  Symbol.for('@ai-teams/tracking-id.routeAccessor'),
  Symbol.for('@ai-teams/otel-metrics.routeAccessor'),
];
// Where router 2.3 (Express 5) keeps the pattern of the layer it just matched, a mount's
// included, until the next one: its own symbol, not exported. Found by its description.
const MATCHED_PATTERN = 'router.tracing.matchedRoute';

/** Told each time Express assigns `req.route`. */
export interface RouteListener {
  /** Called with the route Express just assigned, while `req.baseUrl` is still its mount. */
  routed(route: unknown): void;
}
type Hook = RouteListener;
/** A router mount with parameters the request is under: its URL and its template. */
interface Mount {
  url: string;
  template: string;
}
type Hooked = Request & {
  [ROUTE]?: unknown;
  [ROUTE_BASE]?: string;
  [ON_ROUTE]?: Hook;
  [BASE_URL]?: string;
  [MOUNTS]?: Mount[];
  /** The `req.params` of the last match that grew `req.baseUrl`: each match has its own. */
  [ENTERED]?: unknown;
};

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
    let patternKey: symbol | null | undefined;
    Object.defineProperty(base, 'route', {
      configurable: true,
      enumerable: true,
      get(this: Hooked) {
        return this[ROUTE];
      },
      set(this: Hooked, route: unknown) {
        this[ROUTE] = route;
        // The mount as it is now: an error unwinds it before the response ends.
        this[ROUTE_BASE] = mountTemplate(this);
        this[ON_ROUTE]?.routed(route);
      },
    });
    // `req.baseUrl` keeps only the matched text of a mount (`/t/acme` for `/t/:tenant`). The
    // router sets it as it enters a mount, right after the mount's match; where the router
    // says which pattern matched (router 2.3, Express 5), the mount's template is kept beside
    // its URL for as long as the request is under it. Express 4 sets `baseUrl` before the
    // request gets this prototype: an own property, which this accessor never sees.
    Object.defineProperty(base, 'baseUrl', {
      configurable: true,
      enumerable: true,
      get(this: Hooked) {
        return this[BASE_URL];
      },
      set(this: Hooked, url: string | undefined) {
        const previous = this[BASE_URL];
        this[BASE_URL] = url;
        const mounts = this[MOUNTS];
        if (mounts !== undefined) leaveMounts(mounts, url);
        const from = previous ?? '';
        if (typeof url !== 'string' || url.length <= from.length || !url.startsWith(from)) return;
        // The router's own symbol, looked for once per Express copy (router 2.3 sets it on
        // every request before it enters a mount); none on older routers.
        if (patternKey === undefined) patternKey = patternKeyOf(this) ?? null;
        if (patternKey !== null) enterMount(this, patternKey, from, url);
      },
    });
    Object.defineProperty(base, PATCHED, { value: true });
    for (const name of OLDER_PATCHED)
      if (!Object.prototype.hasOwnProperty.call(base, name))
        Object.defineProperty(base, name, { value: true });
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

/** Whether `url` is `mount` or under it. */
function isUnder(url: string, mount: string): boolean {
  return url.startsWith(mount) && (url.length === mount.length || url[mount.length] === '/');
}

/** Drops the mounts the request has left (`req.baseUrl` set back to a parent's, or elsewhere). */
function leaveMounts(mounts: Mount[], url: string | undefined): void {
  while (mounts.length > 0 && !(typeof url === 'string' && isUnder(url, mounts.at(-1)!.url))) {
    mounts.pop();
  }
}

/** The symbol under which the router keeps the pattern it matched last, found on `req`. */
function patternKeyOf(req: object): symbol | undefined {
  return Object.getOwnPropertySymbols(req).find((s) => s.description === MATCHED_PATTERN);
}

/**
 * `req.baseUrl` went from `previous` to `url` under it: the router entered a mount, and the
 * pattern it matched is under `key`. A mount whose pattern is not its matched text (one with
 * parameters, `/t/:tenant`, or matched in another case) has its template kept, for as long as
 * the request is under it; nothing is kept for the others, nor where the pattern does not
 * match the text `req.baseUrl` grew by (it was not the router entering that mount).
 */
function enterMount(req: Hooked, key: symbol, previous: string, url: string): void {
  const pattern = (req as unknown as Record<symbol, unknown>)[key];
  let template: string;
  if (typeof pattern === 'string') {
    template = pattern.length > 1 && pattern.endsWith('/') ? pattern.slice(0, -1) : pattern;
  } else if (pattern instanceof RegExp) {
    template = `/regex(${pattern.source})`;
  } else return;
  // The router gives each match a `req.params` of its own: the same one as at the last growth
  // means no layer matched since, and the app grew `req.baseUrl` itself.
  const params = req.params as unknown;
  if (params === req[ENTERED]) return;
  req[ENTERED] = params;
  const text = url.slice(previous.length);
  // Not this mount's pattern: the app set `req.baseUrl` itself, or another router copy did.
  // `req.url` is what follows the mount now (the router has cut it), which a RegExp's lookahead
  // may read.
  if (template === text || !patternMatches(pattern, text, requestPath(req.url))) return;
  (req[MOUNTS] ??= []).push({ url, template: mountTemplate(req, previous) + template });
}

/**
 * The router mounts `req` is under (at `url`, `req.baseUrl` by default), each by its template
 * where one was kept (`/t/:tenant/api` for `/t/acme/api`), else by its matched text.
 */
function mountTemplate(req: Hooked, url: string | undefined = req.baseUrl): string {
  const base = url ?? '';
  const mounts = req[MOUNTS];
  if (mounts === undefined) return base;
  for (let i = mounts.length - 1; i >= 0; i--) {
    const mount = mounts[i]!;
    if (isUnder(base, mount.url)) return mount.template + base.slice(mount.url.length);
  }
  return base;
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
  return routeTemplate(r[ROUTE_BASE] ?? mountTemplate(r), route);
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
 * joined by commas. Undefined without a route. `req.baseUrl` keeps only the matched text of a
 * mount (`/t/acme` for `/t/:tenant`); `matchedRouteTemplate()` passes the mounts' templates
 * where the router told them.
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
