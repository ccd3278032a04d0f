import { shownValue } from '@ai-teams/tracking-id';
import type { TelemetryOptions } from './types';

/**
 * Set-up checks of `setupTelemetry()`'s options for plain-JavaScript callers: a TypeError (or a
 * RangeError) naming the option and the value, before anything is set up. `serviceName: 42`
 * failed with `name?.trim is not a function`; a string `ignorePaths`, a `traces: 'no'` (read as
 * true) or a `diagIntervalMs: 'x'` (every diagnostic line held back) were taken. `undefined` or
 * `null` keeps the default.
 */

function fail(name: string, want: string, value: unknown, type = TypeError): never {
  throw new type(`setupTelemetry(): option "${name}" must be ${want}, got ${shownValue(value)}`);
}

const STRINGS = [
  'serviceName',
  'serviceVersion',
  'environment',
  'project',
  'otlpEndpoint',
] as const;
const BOOLEANS = ['traces', 'logs', 'shutdownOnSigterm'] as const;

/** Throws unless `options` is an object whose every set option has its type. */
export function checkOptions(options: unknown): asserts options is TelemetryOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(
      `setupTelemetry(): options must be an object such as { serviceName: 'api-gateway' }, got ${shownValue(options)}`,
    );
  const o = options as Record<string, unknown>;
  for (const name of STRINGS)
    if (o[name] != null && typeof o[name] !== 'string') fail(name, 'a string', o[name]);
  for (const name of BOOLEANS)
    if (o[name] != null && typeof o[name] !== 'boolean') fail(name, 'true or false', o[name]);
  const paths = o.ignorePaths;
  if (paths != null && (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')))
    fail('ignorePaths', "an array of paths, e.g. ['/health', '/metrics']", paths);
  const interval = o.diagIntervalMs;
  if (interval != null) {
    if (typeof interval !== 'number') fail('diagIntervalMs', 'a number of milliseconds', interval);
    if (!(interval >= 0)) fail('diagIntervalMs', 'a number >= 0', interval, RangeError);
  }
  const trust = o.trustIncomingTraceContext;
  if (trust != null && typeof trust !== 'boolean' && typeof trust !== 'function')
    fail('trustIncomingTraceContext', 'true, false or a function of the request', trust);
  for (const name of ['traceExporter', 'logExporter'] as const) {
    const exporter = o[name];
    if (exporter != null && typeof (exporter as { export?: unknown }).export !== 'function')
      fail(name, 'an exporter (with export())', exporter);
  }
}
