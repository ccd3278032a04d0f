import { shownValue } from '@ai-teams/tracking-id';
import { DEFAULT_LIMITS, type Limits } from './describe';
import type { ErrorLimits } from './types';

/**
 * Set-up checks for options a plain-JavaScript caller (or a config object) can get wrong: a
 * TypeError or RangeError naming the option and the value, at creation, instead of a cryptic
 * error (`environment.toLowerCase is not a function`) or limits that silently never apply.
 * `undefined` or `null` keeps the default.
 */

/** The whole options argument: an object, or `undefined`/`null` for the defaults. */
export function optionsObject<O extends object>(call: string, options: O | null | undefined): O {
  if (options != null && (typeof options !== 'object' || Array.isArray(options)))
    throw new TypeError(`${call}: options must be an object, got ${shownValue(options)}`);
  return options ?? ({} as O);
}

export function optionalString(call: string, name: string, value: unknown): string | undefined {
  if (value != null && typeof value !== 'string')
    throw new TypeError(`${call}: option "${name}" must be a string, got ${shownValue(value)}`);
  return (value ?? undefined) as string | undefined;
}

function positiveInteger(call: string, name: string, value: unknown, fallback: number): number {
  if (value == null) return fallback;
  if (typeof value !== 'number')
    throw new TypeError(`${call}: option "${name}" must be a number, got ${shownValue(value)}`);
  // Infinity: no limit, as in the OpenTelemetry SDK's attribute limits (it kept whole texts before).
  if (value !== Infinity && (!Number.isInteger(value) || value < 1))
    throw new RangeError(`${call}: option "${name}" must be an integer >= 1, got ${value}`);
  return value;
}

export function limitsOption(call: string, options: ErrorLimits): Limits {
  return {
    maxMessageLength: positiveInteger(
      call,
      'maxMessageLength',
      options.maxMessageLength,
      DEFAULT_LIMITS.maxMessageLength,
    ),
    maxStackLength: positiveInteger(
      call,
      'maxStackLength',
      options.maxStackLength,
      DEFAULT_LIMITS.maxStackLength,
    ),
  };
}

/** `levels`: the logger's own map of level names to numbers, as winston takes it. */
export function levelsOption(value: unknown): Record<string, number> | undefined {
  if (value == null) return undefined;
  const ok =
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length > 0 &&
    Object.values(value).every((n) => typeof n === 'number' && Number.isFinite(n));
  if (!ok)
    throw new TypeError(
      `errorSpanEvents(): option "levels" must map level names to numbers, e.g. { error: 0, warn: 1 }, got ${shownValue(value)}`,
    );
  return value as Record<string, number>;
}
