import { getNumberFromEnv } from '@opentelemetry/core';

/**
 * A standard OpenTelemetry variable holding a count or a duration in ms: its value when it is a
 * positive number, else undefined (unset, or a bad value, which gets one warning naming the
 * variable, and the default applies: a zero batch size or interval must not reach the SDK).
 */
export function positiveFromEnv(name: string): number | undefined {
  const value = getNumberFromEnv(name);
  if (value === undefined) return undefined;
  if (Number.isFinite(value) && value > 0) return value;
  process.emitWarning(
    `${name}=${process.env[name]} is not a positive number; the default is used.`,
    {
      code: 'AI_TEAMS_TELEMETRY_ENV',
    },
  );
  return undefined;
}
