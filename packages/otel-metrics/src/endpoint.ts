import { routeTemplate } from '@ai-teams/tracking-id';
import { UNMATCHED } from './names';

/** Longest endpoint label value: a regex source or a long mount path is cut here. */
export const MAX_ENDPOINT_LENGTH = 128;

/**
 * The `endpoint` label: the route template with its router mounts (`routeTemplate()` of
 * tracking-id, the same text as the access line's `request.route`), cut at
 * MAX_ENDPOINT_LENGTH, or `unmatched` without a route.
 */
export function endpointOf(
  baseUrl: string | undefined,
  route: Parameters<typeof routeTemplate>[1],
): string {
  return endpointLabel(routeTemplate(baseUrl, route));
}

/** The `endpoint` label of a route template (`matchedRouteTemplate()`), or of none. */
export function endpointLabel(template: string | undefined): string {
  if (template === undefined) return UNMATCHED;
  return template.length > MAX_ENDPOINT_LENGTH ? template.slice(0, MAX_ENDPOINT_LENGTH) : template;
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
