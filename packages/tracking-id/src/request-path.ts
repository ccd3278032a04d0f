/** `scheme://authority` at the start of an absolute-form request target (RFC 9112 3.2.2). */
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

/**
 * The path of a request target without its query (or a fragment, which Node lets through), for
 * code that runs before Express or must not pay for its URL parsing: `/a/b?x=1` → `/a/b`. A
 * client (or a proxy) may send the absolute form, which servers must accept:
 * `http://host/a/b?x=1` → `/a/b`, `http://host` → `/`. Anything else (`*` of `OPTIONS *`) is
 * returned without its query. The path is as sent: Express's `req.path` is the same text,
 * except that for an absolute-form target it percent-escapes a few characters (`|` → `%7C`).
 */
export function requestPath(url: string | undefined): string {
  if (!url) return '/';
  let end = url.indexOf('?');
  if (end === -1) end = url.length;
  const hash = url.indexOf('#');
  if (hash !== -1 && hash < end) end = hash;
  const target = end === url.length ? url : url.slice(0, end);
  if (target.charCodeAt(0) === 47 /* '/' */) return target;
  const authority = ABSOLUTE_FORM.exec(target);
  if (!authority) return target;
  return target.slice(authority[0].length) || '/';
}
