import type { MetricsMode, ResolvedTelemetryOptions, TelemetryOptions } from './types';

const MODES: MetricsMode[] = ['prometheus', 'otlp', 'none'];

function envFlag(name: string): boolean {
  return (process.env[name] ?? '').trim().toLowerCase() !== 'none';
}

/** Options merged once with the environment; unknown values fail with the variable's name. */
export function resolveOptions(options: TelemetryOptions): ResolvedTelemetryOptions {
  const env = process.env;
  const serviceName = options.serviceName ?? env.OTEL_SERVICE_NAME;
  if (!serviceName) {
    throw new TypeError(
      'setupTelemetry(): option "serviceName" is required (or set OTEL_SERVICE_NAME), e.g. setupTelemetry({ serviceName: "api-gateway" })',
    );
  }
  const metrics = (options.metrics ??
    (env.OTEL_METRICS_EXPORTER?.trim().toLowerCase() || 'prometheus')) as MetricsMode;
  if (!MODES.includes(metrics)) {
    throw new TypeError(
      `setupTelemetry(): metrics must be one of ${MODES.join(', ')} (option "metrics" or OTEL_METRICS_EXPORTER), got "${metrics}"`,
    );
  }
  return {
    serviceName,
    serviceVersion:
      options.serviceVersion ?? env.SERVICE_VERSION ?? env.npm_package_version ?? '0.0.0',
    environment: options.environment ?? env.DEPLOYMENT_ENVIRONMENT ?? env.ENVIRONMENT ?? 'dev',
    project: options.project ?? env.PROJECT ?? 'starmates-ai-team',
    otlpEndpoint: options.otlpEndpoint?.replace(/\/+$/, ''),
    traces: options.traces ?? envFlag('OTEL_TRACES_EXPORTER'),
    logs: options.logs ?? envFlag('OTEL_LOGS_EXPORTER'),
    metrics,
    ignorePaths: options.ignorePaths ?? ['/health', '/metrics'],
    shutdownOnSigterm: options.shutdownOnSigterm ?? false,
    diagIntervalMs: options.diagIntervalMs ?? 60_000,
  };
}
