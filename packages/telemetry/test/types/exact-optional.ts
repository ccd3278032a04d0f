// Compiled by `npm run typecheck` with exactOptionalPropertyTypes (tsconfig.exact.json), never
// run: every optional option accepts `undefined` (a config object's unset value), which keeps
// its default. `satisfies Record<keyof …>` makes a new option fail here until it is listed.
import type { IncomingMessage } from 'node:http';
import { setupTelemetry } from '@ai-teams/telemetry';
import type { ResolvedTelemetryOptions, TelemetryOptions } from '@ai-teams/telemetry';

const env: Record<string, string | undefined> = {};

export function all(): void {
  const telemetry = setupTelemetry({
    serviceName: undefined,
    serviceVersion: undefined,
    environment: undefined,
    project: undefined,
    otlpEndpoint: undefined,
    traces: undefined,
    logs: undefined,
    metrics: undefined,
    ignorePaths: undefined,
    trustIncomingTraceContext: undefined,
    shutdownOnSigterm: undefined,
    traceExporter: undefined,
    logExporter: undefined,
    diagIntervalMs: undefined,
  } satisfies Record<keyof TelemetryOptions, undefined>);
  // The resolved options stay resolved: no `undefined` crept in with the options' own.
  const serviceName: string = telemetry.config.serviceName;
  const traces: boolean = telemetry.config.traces;
  const ignorePaths: string[] = telemetry.config.ignorePaths;
  const diagIntervalMs: number = telemetry.config.diagIntervalMs;
  const resolved: ResolvedTelemetryOptions['metrics'] = telemetry.config.metrics;
  const trust: boolean | ((req: IncomingMessage) => boolean) =
    telemetry.config.trustIncomingTraceContext;
  void [serviceName, traces, ignorePaths, diagIntervalMs, resolved, trust];
}

export function fromEnv(): void {
  setupTelemetry({ serviceName: env.SVC, environment: env.E, otlpEndpoint: env.OTLP });
}

/** Arrays written `as const` (readonly) are accepted where the option only reads them. */
export function readonlyArrays(): void {
  const PROBES = ['/health', '/ready'] as const;
  setupTelemetry({ ignorePaths: PROBES });
}
