import { isWrapped } from '@opentelemetry/instrumentation';

/** Modules that must load after the instrumentation, or they are never patched. */
const WATCHED = /[\\/]node_modules[\\/](express|winston|router)[\\/]/;

/** express's own entry module, whose exports the express instrumentation patches. */
const EXPRESS_ENTRY = /^(.*[\\/]node_modules[\\/]express)[\\/]index\.js$/;

const PRELOAD =
  'Start the process with `node --require @ai-teams/telemetry/register app.js` (CommonJS) or ' +
  '`node --import @ai-teams/telemetry/register app.js` (ES modules), or, in CommonJS, ';

/** What loading each module before the set-up costs, and the fix. */
const LATE = {
  express:
    'express was loaded before setupTelemetry(), so its requests are not traced (no server ' +
    'span, no route, no middleware or handler spans). ' +
    PRELOAD +
    'call setupTelemetry() before requiring express.',
  winston:
    'winston was loaded before setupTelemetry(), so its instrumentation never applies: no ' +
    'winston logger, not even one created after set-up, gets the OpenTelemetry transport (its ' +
    'records are not sent over OTLP) or trace_id/span_id on its records. ' +
    PRELOAD +
    'require winston, and @ai-teams/cloudwatch-logger which loads it, only after setupTelemetry().',
} as const;

/** Whether a warning named express already, so that it is not named twice. */
let expressReported = false;

/** The watched modules among `files` (paths of loaded modules), express first. */
function lateModules(files: readonly string[]): (keyof typeof LATE)[] {
  const late = new Set<keyof typeof LATE>();
  for (const file of files) {
    const name = WATCHED.exec(file)?.[1];
    // The router is express's (Express 5 loads it): the effect and the fix are express's.
    if (name) late.add(name === 'winston' ? 'winston' : 'express');
  }
  return (['express', 'winston'] as const).filter((name) => late.has(name));
}

/** The warning for each watched module among `files` (paths of loaded modules), express first. */
export function lateLoadWarnings(files: readonly string[]): string[] {
  return lateModules(files).map((name) => LATE[name]);
}

/**
 * Warns, once per module, when instrumented modules were loaded before the SDK was set up.
 * Only modules that have run count: an ES module's imports are in `require.cache` before they
 * run (linked, `loaded: false`), and whether those get patched is told at the first request.
 */
export function warnIfLoadedTooEarly(): boolean {
  const loaded = Object.entries(require.cache)
    .filter(([, module]) => module?.loaded)
    .map(([file]) => file);
  const late = lateModules(loaded);
  for (const name of late) process.emitWarning(LATE[name], { code: 'AI_TEAMS_TELEMETRY_LATE' });
  if (late.includes('express')) expressReported = true;
  return late.length > 0;
}

type Modules = Readonly<Record<string, { loaded: boolean; exports: unknown } | undefined>>;

/** Each copy of express loaded among `modules`: its directory and its exports. */
function loadedExpress(modules: Modules): { dir: string; exports: unknown }[] {
  const found: { dir: string; exports: unknown }[] = [];
  for (const [file, module] of Object.entries(modules)) {
    const dir = EXPRESS_ENTRY.exec(file)?.[1];
    if (dir && module?.loaded) found.push({ dir, exports: module.exports });
  }
  return found;
}

/**
 * The warning for each loaded copy of express among `modules` (a `require.cache`) whose
 * exports the instrumentation did not patch. Loaded after set-up and still unpatched, it was
 * imported by an ES module without the loader hook: set-up in the app's own code (or a module
 * it imports first) installs none.
 */
export function unpatchedWarnings(modules: Modules): string[] {
  const warnings: string[] = [];
  for (const { dir, exports } of loadedExpress(modules)) {
    const use = (exports as { application?: { use?: unknown } } | undefined)?.application?.use;
    if (typeof use !== 'function' || isWrapped(use)) continue;
    warnings.push(
      `express (${dir}) is not instrumented, so its requests are traced without a route and ` +
        'without middleware or handler spans: an ES module imported it without the loader ' +
        'hook, which only `node --import @ai-teams/telemetry/register app.js` installs ' +
        '(setupTelemetry() called in the app does not). Start the process that way.',
    );
  }
  return warnings;
}

/**
 * At an incoming request: warns if express runs unpatched, unless set-up already said so.
 * Returns whether that is settled: express was loaded (patched or not) or already reported.
 */
export function warnIfNotPatched(modules: Modules = require.cache): boolean {
  if (expressReported) return true;
  for (const message of unpatchedWarnings(modules)) {
    expressReported = true;
    process.emitWarning(message, { code: 'AI_TEAMS_TELEMETRY_LATE' });
  }
  return expressReported || loadedExpress(modules).length > 0;
}
