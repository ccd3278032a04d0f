/**
 * A standard OpenTelemetry variable holding a count or a duration in ms: its value when it is a
 * positive number, else undefined (unset, or a bad value, which gets one warning naming the
 * variable, and the default applies: a zero batch size or interval must not reach the SDK).
 * `warn: false` for a variable the SDK reads and reports itself.
 */
export function positiveFromEnv(name: string, warn = true): number | undefined {
  const raw = process.env[name]?.trim();
  if (!raw) return undefined;
  // Read here rather than with @opentelemetry/core's reader, which reports a value that is
  // not a number through diag: the rate-limited line real export failures need.
  const value = Number(raw);
  if (Number.isFinite(value) && value > 0) return value;
  if (!warn) return undefined;
  process.emitWarning(
    `${name}=${process.env[name]} is not a positive number; the default is used.`,
    {
      code: 'AI_TEAMS_TELEMETRY_ENV',
    },
  );
  return undefined;
}

/**
 * The signals set to export with `OTEL_EXPORTER_OTLP_PROTOCOL=grpc` (or the signal's own
 * `OTEL_EXPORTER_OTLP_{TRACES,LOGS,METRICS}_PROTOCOL`) among `signals`, which this package
 * exports over OTLP/HTTP only. One warning names them and the fix; export goes on over HTTP.
 */
export function warnIfGrpc(signals: ('traces' | 'logs' | 'metrics')[]): void {
  const grpc = signals.filter((signal) => {
    const own = process.env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_PROTOCOL`]?.trim();
    const protocol = own || process.env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim();
    return protocol?.toLowerCase() === 'grpc';
  });
  if (grpc.length === 0) return;
  process.emitWarning(
    `OTLP protocol grpc is set for ${grpc.join(', ')}, but @ai-teams/telemetry exports over ` +
      'OTLP/HTTP only: point OTEL_EXPORTER_OTLP_ENDPOINT at the collector HTTP receiver ' +
      '(port 4318, e.g. http://otel-collector:4318) and unset the protocol variable.',
    { code: 'AI_TEAMS_TELEMETRY_PROTOCOL' },
  );
}
