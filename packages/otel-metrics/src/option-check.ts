/**
 * Set-up checks of the factories' options for plain-JavaScript callers: a TypeError naming the
 * option and the value at creation. A `now` that is not a function was taken and then failed
 * every request with a 500 (`now is not a function`). `undefined` or `null` keeps the default.
 */

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return value === null || typeof value !== 'object' ? String(value) : 'an object';
}

const WANT = { string: 'a string', boolean: 'true or false', function: 'a function' } as const;

/** Throws unless each named option is unset or of its type. */
export function checkOptionTypes(
  factory: string,
  options: object,
  types: Record<string, keyof typeof WANT>,
): void {
  for (const [name, type] of Object.entries(types)) {
    const value = (options as Record<string, unknown>)[name];
    if (value != null && typeof value !== type)
      throw new TypeError(
        `${factory}(): option "${name}" must be ${WANT[type]}, got ${shown(value)}`,
      );
  }
}

/** `meterProvider`: anything with `getMeter()`, as `@opentelemetry/api` defines a provider. */
export function checkMeterProvider(factory: string, value: unknown): void {
  if (value != null && typeof (value as { getMeter?: unknown }).getMeter !== 'function')
    throw new TypeError(
      `${factory}(): option "meterProvider" must be a MeterProvider (with getMeter()), e.g. prometheusMetrics().meterProvider, got ${shown(value)}`,
    );
}
