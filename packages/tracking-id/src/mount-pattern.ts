import { pathToRegexp } from 'path-to-regexp';

/** Patterns compiled at most: a router's are the app's own, a few dozen. */
const MAX_COMPILED = 512;
const compiled = new Map<string, RegExp | null>();
const plain = new WeakMap<RegExp, RegExp>();

/** A mount pattern as the router matches it: any case, a trailing slash ignored. */
function compile(pattern: string): RegExp | null {
  try {
    const loose = pattern === '/' ? pattern : pattern.replace(/\/+$/, '');
    return pathToRegexp(loose, { end: false, sensitive: false }).regexp;
  } catch {
    return null; // not a path-to-regexp 8 pattern (another router's): nothing it can name
  }
}

function regExpOf(pattern: string): RegExp | null {
  let re = compiled.get(pattern);
  if (re === undefined) {
    re = compile(pattern);
    if (compiled.size < MAX_COMPILED) compiled.set(pattern, re);
  }
  return re;
}

/** The app's RegExp without `g`/`y`, whose `lastIndex` an `exec()` would move. */
function plainOf(pattern: RegExp): RegExp {
  if (!pattern.global && !pattern.sticky) return pattern;
  let re = plain.get(pattern);
  if (!re)
    plain.set(pattern, (re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''))));
  return re;
}

/** Whether `re` matches `text`, a trailing slash included or not, from the start of `path`. */
function matchesFrom(re: RegExp, path: string, text: string): boolean {
  const m = re.exec(path);
  return m !== null && m.index === 0 && (m[0] === text || m[0] === `${text}/`);
}

/**
 * Whether the router mount pattern `pattern` (router 2's, path-to-regexp 8 or a RegExp) matches
 * all of `text`, the part `req.baseUrl` just grew by (a trailing slash of it already removed).
 * The router matched it as the start of the request's path, `text` and then `rest` (the path
 * left in `req.url`): a RegExp's lookahead may read past the mount (`(?=\/api\/)`).
 * The router sets `req.baseUrl` right after it matched the mount, but so may the app's own code,
 * or a router of another copy that does not say which pattern it matched: then the pattern read
 * on the request is an earlier layer's, and must not name this text.
 */
export function patternMatches(pattern: string | RegExp, text: string, rest = ''): boolean {
  const re = typeof pattern === 'string' ? regExpOf(pattern) : plainOf(pattern);
  if (re === null) return false;
  return (
    matchesFrom(re, text, text) ||
    matchesFrom(re, `${text}/`, text) ||
    (rest !== '' && matchesFrom(re, text + rest, text))
  );
}
