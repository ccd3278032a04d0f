import { shownValue } from '@ai-teams/tracking-id';
/**
 * Set-up checks for options a plain-JavaScript caller (or a config object) can get wrong: each
 * throws a TypeError naming the option and the value, at creation, instead of a cryptic error
 * there (`patterns is not iterable`) or a failure on every later line or request.
 */

function fail(name: string, want: string, value: unknown): never {
  throw new TypeError(`cloudwatch-logger: \`${name}\` must be ${want}, got ${shownValue(value)}`);
}

/**
 * The whole options argument of `call`: an object. A service name passed alone
 * (`createLogger('api-gateway')`) was reported as a missing `service`.
 */
export function optionsObject(value: unknown, call: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(
      `cloudwatch-logger: ${call} takes an options object, e.g. { service: 'api-gateway' }, got ${shownValue(value)}`,
    );
}

/** `undefined` (or `null`, from a config object) keeps the default; anything else must be a string. */
export function optionalString(value: unknown, name: string): string | undefined {
  if (value != null && typeof value !== 'string') fail(name, 'a string', value);
  return (value ?? undefined) as string | undefined;
}

export function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value != null && typeof value !== 'boolean') fail(name, 'true or false', value);
  return value as boolean | undefined;
}

export function optionalFunction<F>(value: F | undefined, name: string): F | undefined {
  if (value != null && typeof value !== 'function') fail(name, 'a function', value);
  return value;
}

export function optionalArray<T>(value: readonly T[] | undefined, name: string): readonly T[] {
  if (value == null) return [];
  if (!Array.isArray(value)) fail(name, 'an array', value);
  return value;
}

/** `redact`: an array of strings and RegExps, or `false`; a string was read letter by letter. */
export function redactOption(value: unknown): ReadonlyArray<string | RegExp> | false | undefined {
  if (value != null && value !== false && !Array.isArray(value))
    fail('redact', 'an array of strings and RegExps, or false', value);
  return value as ReadonlyArray<string | RegExp> | false | undefined;
}

/** `stream`: anything with a `write()` method (a Writable). */
export function streamOption<S>(value: S | undefined): S | undefined {
  if (
    value != null &&
    (typeof value !== 'object' || typeof (value as { write?: unknown }).write !== 'function')
  )
    fail('stream', 'a Writable stream', value);
  return value;
}

/** `skip`: an array of paths and RegExps, or a predicate; a string was read letter by letter. */
export function skipOption<S>(value: S | undefined): S | undefined {
  if (value != null && typeof value !== 'function' && !Array.isArray(value))
    fail('skip', 'an array of path strings and RegExps, or a function', value);
  return value ?? undefined;
}

/** `logger` of `requestLogger()`: a winston logger, which every access line goes through. */
export function loggerOption<L>(value: L | undefined): L | undefined {
  if (
    value != null &&
    (typeof value !== 'object' || typeof (value as { log?: unknown }).log !== 'function')
  )
    fail('logger', 'a winston logger (from createLogger())', value);
  return value ?? undefined;
}
