import type { MeterProvider } from '@opentelemetry/api';
import { tagOf } from './provider';
import type { RequiredLabelsOptions } from './types';

/** The plan's default project label. */
export const DEFAULT_PROJECT = 'starmates-ai-team';

/** The plan's required labels as resolved by `requiredLabels()`. */
export interface RequiredLabels {
  /** The `environment` label, e.g. `prod`. */
  environment: string;
  /** The `project` label. */
  project: string;
  /** The `service` label (also `service.name`). */
  service: string;
}

const env = (name: string) => {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
};

/** `OTEL_SERVICE_NAME`, else `unknown_service` (the OpenTelemetry fallback). */
export function defaultServiceName(): string {
  return env('OTEL_SERVICE_NAME') ?? 'unknown_service';
}

/**
 * The `service_name` label of `httpMetrics()` and `businessMetrics()`: the option, else the
 * service of the provider they record to (when `prometheusMetrics()` or `@ai-teams/telemetry`
 * made it), so it matches that provider's `service` label.
 */
export function serviceNameLabel(option: string | undefined, provider: MeterProvider): string {
  return option ?? tagOf(provider)?.serviceName ?? defaultServiceName();
}

/**
 * `{ service }` for the data points of a provider tagged with `serviceLabel` (see
 * MeterProviderTag), else nothing: a Prometheus provider has `service` as a constant label.
 */
export function serviceAttribute(provider: MeterProvider): { service?: string } {
  const tag = tagOf(provider);
  return tag?.serviceLabel ? { service: tag.serviceName } : {};
}

/** Resolves the required labels from options, then the environment, then defaults. */
export function requiredLabels(options: RequiredLabelsOptions = {}): RequiredLabels {
  return {
    environment:
      options.environment ?? env('DEPLOYMENT_ENVIRONMENT') ?? env('ENVIRONMENT') ?? 'dev',
    project: options.project ?? env('PROJECT') ?? DEFAULT_PROJECT,
    service: options.serviceName ?? defaultServiceName(),
  };
}

/**
 * Resource attributes that make every exported series carry `environment`, `project` and
 * `service`: the literal names (for Prometheus constant labels) plus the standard
 * `service.name` and `deployment.environment.name`. @ai-teams/telemetry puts the same
 * attributes on its OTLP metrics resource.
 */
export function metricsResourceAttributes(
  options: RequiredLabelsOptions = {},
): Record<string, string> {
  const labels = requiredLabels(options);
  return {
    'service.name': labels.service,
    'deployment.environment.name': labels.environment,
    environment: labels.environment,
    project: labels.project,
    service: labels.service,
  };
}
