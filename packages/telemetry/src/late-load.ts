/** Modules that must load after the instrumentation, or they are never patched. */
const WATCHED = /[\\/]node_modules[\\/](express|winston|router)[\\/]/;

/** Warns, once, when instrumented modules were loaded before the SDK was set up. */
export function warnIfLoadedTooEarly(): boolean {
  const early = Object.keys(require.cache).filter((file) => WATCHED.test(file));
  if (early.length === 0) return false;
  const names = [...new Set(early.map((file) => WATCHED.exec(file)![1]))].join(', ');
  process.emitWarning(
    `${names} was loaded before setupTelemetry(), so its requests are not traced. ` +
      'Start the process with `node --require @ai-teams/telemetry/register app.js` (CommonJS) or ' +
      '`node --import @ai-teams/telemetry/register app.js` (ES modules), or call setupTelemetry() ' +
      'before importing express.',
    { code: 'AI_TEAMS_TELEMETRY_LATE' },
  );
  return true;
}
