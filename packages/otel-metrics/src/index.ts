export { httpMetrics, CLIENT_CLOSED } from './http';
export {
  businessMetrics,
  type BusinessMetrics,
  type ApiKeyUsage,
  type EndpointUsage,
  type UserActivity,
  type WorkflowSuccessRate,
  type AiRequest,
} from './business';
export {
  prometheusMetrics,
  DEFAULT_CARDINALITY_LIMIT,
  DEFAULT_HISTOGRAM_CARDINALITY_LIMIT,
} from './prometheus';
export { tagMeterProvider, type MeterProviderTag } from './provider';
export {
  metricsResourceAttributes,
  requiredLabels,
  DEFAULT_PROJECT,
  type RequiredLabels,
} from './labels';
export {
  METRIC,
  METRIC_NAMES,
  DURATION_BUCKETS,
  SUCCESS_RATE_BUCKETS,
  METER_NAME,
  UNMATCHED,
} from './names';
export type {
  HttpMetricsOptions,
  BusinessMetricsOptions,
  PrometheusMetricsOptions,
  PrometheusMetrics,
  RequiredLabelsOptions,
} from './types';
