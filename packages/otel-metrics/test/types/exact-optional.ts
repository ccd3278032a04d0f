// Compiled by `npm run typecheck` with exactOptionalPropertyTypes (tsconfig.exact.json), never
// run: every optional option accepts `undefined` (a config object's unset value), which keeps
// its default. `satisfies Record<keyof …>` makes a new option fail here until it is listed.
import {
  businessMetrics,
  httpMetrics,
  metricsResourceAttributes,
  prometheusMetrics,
  requiredLabels,
  tagMeterProvider,
} from '@ai-teams/otel-metrics';
import type {
  AiRequest,
  BusinessMetricsOptions,
  EndpointUsage,
  HttpMetricsOptions,
  MeterProviderTag,
  PrometheusMetricsOptions,
  RequiredLabelsOptions,
} from '@ai-teams/otel-metrics';

const env: Record<string, string | undefined> = {};

const labels = {
  serviceName: undefined,
  environment: undefined,
  project: undefined,
} satisfies Record<keyof RequiredLabelsOptions, undefined>;
requiredLabels(labels);
metricsResourceAttributes({ serviceName: env.SVC, environment: env.E, project: env.P });

const prom = prometheusMetrics({
  ...labels,
  cardinalityLimit: undefined,
  histogramCardinalityLimit: undefined,
  cardinalityLimits: undefined,
  global: undefined,
  resourceAttributes: undefined,
} satisfies Record<keyof PrometheusMetricsOptions, undefined>);
prometheusMetrics({ serviceName: env.SVC, environment: env.E, project: env.P });
// An attribute from an unset variable is left out; numbers and booleans are attribute values.
prometheusMetrics({ resourceAttributes: { region: env.AWS_REGION, replica: 3, canary: false } });

httpMetrics({
  meterProvider: undefined,
  serviceName: undefined,
  ignore: undefined,
  trackingIdLabel: undefined,
  userIdLabel: undefined,
  requestCountLimit: undefined,
  now: undefined,
} satisfies Record<keyof HttpMetricsOptions, undefined>);
httpMetrics({ meterProvider: prom.meterProvider, serviceName: env.SVC });

const business = businessMetrics({
  meterProvider: undefined,
  serviceName: undefined,
  tokenTypes: undefined,
} satisfies Record<keyof BusinessMetricsOptions, undefined>);
business.recordEndpointUsage({
  endpoint: '/x',
  userSegment: 'free',
  apiVersion: undefined,
} satisfies Record<keyof EndpointUsage, unknown>);
business.recordAiRequest({
  model: 'm',
  provider: 'p',
  tokens: undefined,
  cost: undefined,
} satisfies Record<keyof AiRequest, unknown>);

tagMeterProvider(prom.meterProvider, {
  serviceName: 'svc',
  cardinalityLimit: 500,
  histogramCardinalityLimit: undefined,
  cardinalityLimits: undefined,
  serviceLabel: undefined,
} satisfies Record<keyof MeterProviderTag, unknown>);

/** Arrays written `as const` (readonly) are accepted where the option only reads them. */
export function readonlyArrays(): void {
  const NOT_TRAFFIC = ['/health', /^\/internal\//] as const;
  const TOKEN_TYPES = ['input', 'output', 'cached'] as const;
  httpMetrics({ ignore: NOT_TRAFFIC });
  businessMetrics({ tokenTypes: TOKEN_TYPES });
}
