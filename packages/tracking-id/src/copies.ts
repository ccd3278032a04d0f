const LOADED = Symbol.for('@ai-teams/tracking-id/loaded');

interface Copies {
  /** The directory of the copy loaded first. */
  first: string;
  /** Directories of the other copies, each reported once. */
  reported: Set<string>;
}

/**
 * Warns (`AI_TEAMS_TRACKING_ID_COPIES`) when a copy of this package from another directory is
 * already loaded: each copy keeps its own request store, symbols and hooks, so what one copy's
 * `trackingId()` keeps, another copy's `getTrackingId()` (inside cloudwatch-logger, say) never
 * finds. Once per directory: a copy evaluated again (a test runner that resets its module
 * registry) is the same directory. Copies bundled into one file share a directory and are not
 * told apart.
 *
 * @returns whether it warned
 */
export function noteCopy(directory: string): boolean {
  const registry = globalThis as { [LOADED]?: Copies };
  const copies = registry[LOADED];
  if (copies === undefined || typeof copies.first !== 'string') {
    registry[LOADED] = { first: directory, reported: new Set() };
    return false;
  }
  if (copies.first === directory || copies.reported.has(directory)) return false;
  copies.reported.add(directory);
  process.emitWarning(
    `@ai-teams/tracking-id is loaded from two places (${copies.first} and ${directory}): each copy keeps its own request context, so an id or context one keeps is not found through the other, and log lines read tracking_id "unknown". Install one copy: align the versions that \`npm ls @ai-teams/tracking-id\` lists, then \`npm dedupe\`.`,
    { code: 'AI_TEAMS_TRACKING_ID_COPIES' },
  );
  return true;
}

// The compiled module's own directory (dist/, or src/ when run from source): two builds of one
// checkout loaded together are two copies too.
noteCopy(__dirname);
