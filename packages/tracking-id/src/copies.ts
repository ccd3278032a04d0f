import path from 'node:path';

const LOADED = Symbol.for('@ai-teams/tracking-id/loaded');

/**
 * Warns (`AI_TEAMS_TRACKING_ID_COPIES`) when a copy of this package from another directory is
 * already loaded: each copy keeps its own request store, symbols and hooks, so what one copy's
 * `trackingId()` keeps, another copy's `getTrackingId()` (inside cloudwatch-logger, say) never
 * finds. The same copy evaluated again (a test runner that resets its module registry) is the
 * same directory and stays quiet.
 *
 * @returns whether it warned
 */
export function noteCopy(directory: string): boolean {
  const registry = globalThis as { [LOADED]?: string };
  const first = registry[LOADED];
  if (first === undefined) {
    registry[LOADED] = directory;
    return false;
  }
  if (first === directory) return false;
  process.emitWarning(
    `@ai-teams/tracking-id is loaded from two places (${first} and ${directory}): each copy keeps its own request context, so an id or context one keeps is not found through the other, and log lines read tracking_id "unknown". Install one copy: align the versions that \`npm ls @ai-teams/tracking-id\` lists, then \`npm dedupe\`.`,
    { code: 'AI_TEAMS_TRACKING_ID_COPIES' },
  );
  return true;
}

// The package's directory: `dist/` (or `src/`) is one level down.
noteCopy(path.resolve(__dirname, '..'));
