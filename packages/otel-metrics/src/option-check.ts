import { shownValue } from '@ai-teams/tracking-id';
/**
 * Set-up checks of the factories' options for plain-JavaScript callers: a TypeError naming the
 * option and the value at creation. A `now` that is not a function was taken and then failed
 * every request with a 500 (`now is not a function`). `undefined` or `null` keeps the default.
 */

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
        `${factory}(): option "${name}" must be ${WANT[type]}, got ${shownValue(value)}`,
      );
  }
}

/**
 * The whole options argument: an object, or `undefined`/`null` for the defaults. A string (a
 * service name passed alone) was silently ignored.
 */
export function checkOptionsObject(factory: string, options: unknown): void {
  if (options != null && (typeof options !== 'object' || Array.isArray(options)))
    throw new TypeError(
      `${factory}(): options must be an object such as { serviceName: 'api-gateway' }, got ${shownValue(options)}`,
    );
}

/**
 * `resourceAttributes`, or unset: an object whose values are resource attribute values (string,
 * number or boolean), as `resourceFromAttributes()` takes them. A value that is `undefined` or
 * `null` (`{ region: process.env.AWS_REGION }` with the variable unset) is left out, as the SDK
 * leaves it out; numbers (a config read with `JSON.parse`) and booleans are kept.
 */
export function checkResourceAttributes(
  factory: string,
  name: string,
  value: unknown,
): Record<string, string | number | boolean> {
  if (value == null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TypeError(
      `${factory}(): option "${name}" must be an object of attribute values, e.g. { team: 'core' }, got ${shownValue(value)}`,
    );
  const kept: Record<string, string | number | boolean> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item == null) continue;
    if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean')
      throw new TypeError(
        `${factory}(): option "${name}.${key}" must be a string, number or boolean, got ${shownValue(item)}`,
      );
    kept[key] = item;
  }
  return kept;
}

/** `meterProvider`: anything with `getMeter()`, as `@opentelemetry/api` defines a provider. */
export function checkMeterProvider(factory: string, value: unknown): void {
  if (value != null && typeof (value as { getMeter?: unknown }).getMeter !== 'function')
    throw new TypeError(
      `${factory}(): option "meterProvider" must be a MeterProvider (with getMeter()), e.g. prometheusMetrics().meterProvider, got ${shownValue(value)}`,
    );
}
