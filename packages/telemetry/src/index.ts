export { setupTelemetry, getTelemetry } from './setup';
export { QUIET_LAYERS } from './instrumentations';
export type {
  Telemetry,
  TelemetryOptions,
  MetricsHandler,
  MetricsMode,
  ResolvedTelemetryOptions,
} from './types';
