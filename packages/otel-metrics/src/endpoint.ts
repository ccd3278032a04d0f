import { UNMATCHED } from './names';

/** Longest endpoint label value: a regex source or a long mount path is cut here. */
export const MAX_ENDPOINT_LENGTH = 128;

type RoutePath = string | RegExp | (string | RegExp)[] | undefined;

function pathText(path: RoutePath): string {
  if (typeof path === 'string') return path;
  if (path instanceof RegExp) return `regex(${path.source})`;
  if (Array.isArray(path)) return path.map(pathText).join(',');
  return '';
}

/**
 * The route template of a matched route with its router mounts: `req.baseUrl` (`/api/v1`) +
 * `route.path` (`/sessions/:id`). A root route inside a mounted router (`/`) is reported as
 * the mount alone. Express keeps only the matched text of a mount, so a parameter in a mount
 * path (`app.use('/t/:tenant', r)`) shows its value: the cardinality limit bounds that case.
 */
export function endpointOf(baseUrl: string, route: { path?: RoutePath } | undefined): string {
  if (!route) return UNMATCHED;
  const path = pathText(route.path);
  const endpoint = baseUrl && path === '/' ? baseUrl : baseUrl + path;
  if (endpoint === '') return UNMATCHED;
  return endpoint.length > MAX_ENDPOINT_LENGTH ? endpoint.slice(0, MAX_ENDPOINT_LENGTH) : endpoint;
}

const VERSION = /(?:^|\/)(v\d{1,3})(?:\/|$)/i;

/** `v1`, `v2`, … from the template's first version segment, else `none`. */
export function apiVersionOf(endpoint: string): string {
  const match = VERSION.exec(endpoint);
  return match ? match[1]!.toLowerCase() : 'none';
}

const METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
]);

/** Known HTTP methods as sent, anything else `_OTHER` (OpenTelemetry semantic conventions). */
export function methodOf(method: string | undefined): string {
  return method && METHODS.has(method) ? method : '_OTHER';
}
