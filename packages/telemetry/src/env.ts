/**
 * A standard OpenTelemetry variable holding a count or a duration in ms: its value when it is a
 * positive number, else undefined (unset, or a bad value, which gets one warning naming the
 * variable, and the default applies: a zero batch size or interval must not reach the SDK).
 */
export function positiveFromEnv(name: string): number | undefined {
  const raw = process.env[name]?.trim();
  if (!raw) return undefined;
  // Read here rather than with @opentelemetry/core's reader, which reports a value that is
  // not a number through diag: the rate-limited line real export failures need.
  const value = Number(raw);
  if (Number.isFinite(value) && value > 0) return value;
  process.emitWarning(
    `${name}=${process.env[name]} is not a positive number; the default is used.`,
    {
      code: 'AI_TEAMS_TELEMETRY_ENV',
    },
  );
  return undefined;
}
