import { randomUUID } from 'node:crypto';
import { getBooleanFromEnv } from '@opentelemetry/core';
import { resourceAttributesEnvDetector } from '@opentelemetry/resources';
import type { MetricsMode, ResolvedTelemetryOptions, TelemetryOptions } from './types';

const MODES: MetricsMode[] = ['prometheus', 'otlp', 'none'];

function envFlag(name: string): boolean {
  return (process.env[name] ?? '').trim().toLowerCase() !== 'none';
}

/** The string attributes of OTEL_RESOURCE_ATTRIBUTES, parsed by the SDK's own detector. */
function resourceAttributesFromEnv(): Record<string, string | undefined> {
  const { attributes = {} } = resourceAttributesEnvDetector.detect();
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value === 'string' && value !== '') out[key] = value;
  }
  return out;
}

/**
 * Options merged once with the environment; unknown values fail with the variable's name.
 *
 * The values that also label the metrics follow the precedence the SDK gives the trace and log
 * resource, so every signal carries the same ones: the service name is ours (it is handed to
 * the SDK, which applies it last); for environment, project and version, what
 * OTEL_RESOURCE_ATTRIBUTES sets wins, as the SDK's resource detection makes it win there.
 */
export function resolveOptions(options: TelemetryOptions): ResolvedTelemetryOptions {
  const env = process.env;
  const fromResource = resourceAttributesFromEnv();
  const serviceName =
    options.serviceName ?? (env.OTEL_SERVICE_NAME || undefined) ?? fromResource['service.name'];
  if (!serviceName) {
    throw new TypeError(
      'setupTelemetry(): option "serviceName" is required (or set OTEL_SERVICE_NAME), e.g. setupTelemetry({ serviceName: "api-gateway" })',
    );
  }
  const disabled = getBooleanFromEnv('OTEL_SDK_DISABLED');
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
      fromResource['service.version'] ??
      options.serviceVersion ??
      env.SERVICE_VERSION ??
      env.npm_package_version ??
      '0.0.0',
    environment:
      fromResource['deployment.environment.name'] ??
      fromResource['deployment.environment'] ??
      options.environment ??
      env.DEPLOYMENT_ENVIRONMENT ??
      env.ENVIRONMENT ??
      'dev',
    project: fromResource.project ?? options.project ?? env.PROJECT ?? 'starmates-ai-team',
    // One per process, on every signal: the collector's Prometheus exporter and remote write
    // turn it into `instance`, without which two replicas' series are one.
    serviceInstanceId: fromResource['service.instance.id'] ?? randomUUID(),
    otlpEndpoint: options.otlpEndpoint?.replace(/\/+$/, ''),
    // OTEL_SDK_DISABLED turns every signal off, whatever the code asks for: the operator's switch.
    traces: !disabled && (options.traces ?? envFlag('OTEL_TRACES_EXPORTER')),
    logs: !disabled && (options.logs ?? envFlag('OTEL_LOGS_EXPORTER')),
    metrics: disabled ? 'none' : metrics,
    ignorePaths: options.ignorePaths ?? ['/health', '/metrics'],
    shutdownOnSigterm: options.shutdownOnSigterm ?? false,
    diagIntervalMs: options.diagIntervalMs ?? 60_000,
  };
}
