/** Modules that must load after the instrumentation, or they are never patched. */
const WATCHED = /[\\/]node_modules[\\/](express|winston|router)[\\/]/;

const PRELOAD =
  'Start the process with `node --require @ai-teams/telemetry/register app.js` (CommonJS) or ' +
  '`node --import @ai-teams/telemetry/register app.js` (ES modules), or ';

/** What loading each module before the set-up costs, and the fix. */
const LATE = {
  express:
    'express was loaded before setupTelemetry(), so its requests are not traced (no server ' +
    'span, no route, no middleware or handler spans). ' +
    PRELOAD +
    'call setupTelemetry() before importing express.',
  winston:
    'winston was loaded before setupTelemetry(), so its instrumentation never applies: no ' +
    'winston logger, not even one created after set-up, gets the OpenTelemetry transport (its ' +
    'records are not sent over OTLP) or trace_id/span_id on its records. ' +
    PRELOAD +
    'import winston, and @ai-teams/cloudwatch-logger which loads it, only after setupTelemetry().',
} as const;

/** The warning for each watched module among `files` (paths of loaded modules), express first. */
export function lateLoadWarnings(files: readonly string[]): string[] {
  const late = new Set<keyof typeof LATE>();
  for (const file of files) {
    const name = WATCHED.exec(file)?.[1];
    // The router is express's (Express 5 loads it): the effect and the fix are express's.
    if (name) late.add(name === 'winston' ? 'winston' : 'express');
  }
  return (['express', 'winston'] as const).filter((name) => late.has(name)).map((n) => LATE[n]);
}

/** Warns, once per module, when instrumented modules were loaded before the SDK was set up. */
export function warnIfLoadedTooEarly(): boolean {
  const warnings = lateLoadWarnings(Object.keys(require.cache));
  for (const message of warnings) {
    process.emitWarning(message, { code: 'AI_TEAMS_TELEMETRY_LATE' });
  }
  return warnings.length > 0;
}
