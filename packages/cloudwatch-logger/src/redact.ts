import { types } from 'node:util';

/**
 * Default redacted keys: the headers that carry credentials, and password/secret/token/api-key
 * fields (`access_token`, `clientSecret`, `db_password`, …). Keys that merely count tokens
 * (`tokens`, `token_count`, `max_tokens`) are kept: AI usage logs need them.
 */
export const DEFAULT_REDACT: ReadonlyArray<string | RegExp> = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  /(?:password|passwd|secret|credential|private[-_]?key)/,
  /(?:api[-_]?key|token|auth)$/,
];

export const REDACTED = '[REDACTED]';

const CACHE_LIMIT = 10_000;

/** A case-insensitive key test, memoised per key: log keys repeat, regexps are not free. */
export function redactor(
  patterns: ReadonlyArray<string | RegExp> | false,
): ((key: string) => boolean) | undefined {
  if (patterns === false || patterns.length === 0) return undefined;
  const names = new Set<string>();
  const regexps: RegExp[] = [];
  for (const p of patterns) {
    if (typeof p === 'string') names.add(p.toLowerCase());
    else if (types.isRegExp(p)) regexps.push(new RegExp(p.source, p.flags.replace(/[gy]/g, '')));
    else throw new TypeError('cloudwatch-logger: `redact` entries must be strings or RegExps');
  }
  const cache = new Map<string, boolean>();
  return (key) => {
    let hit = cache.get(key);
    if (hit !== undefined) return hit;
    const lower = key.toLowerCase();
    hit = names.has(lower) || regexps.some((r) => r.test(lower));
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, hit);
    return hit;
  };
}
