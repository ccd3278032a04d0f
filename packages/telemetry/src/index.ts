export { setupTelemetry, getTelemetry } from './setup';
export { QUIET_LAYERS } from './instrumentations';
export type { Telemetry, TelemetryOptions, MetricsMode, ResolvedTelemetryOptions } from './types';
