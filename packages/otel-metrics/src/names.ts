/** Instrument names. Alerts and dashboards query these exact names: do not rename. */
export const METRIC = {
  requestCount: 'request_count',
  requestDuration: 'request_duration_seconds',
  requestErrors: 'request_errors_total',
  activeRequests: 'active_requests',
  apiKeyUsage: 'api_key_usage_total',
  endpointUsage: 'endpoint_usage_total',
  userActivity: 'user_activity_total',
  workflowSuccessRate: 'workflow_success_rate',
  aiRequests: 'ai_requests_total',
  aiTokens: 'ai_tokens_total',
  aiCost: 'ai_cost_total',
} as const;

/** Every instrument this package creates. */
export const METRIC_NAMES: readonly string[] = Object.values(METRIC);

/** Seconds; the plan's buckets. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Ratio 0..1; the plan's buckets. */
export const SUCCESS_RATE_BUCKETS = [0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1];

/** Meter (instrumentation scope) name. */
export const METER_NAME = '@ai-teams/otel-metrics';
export const METER_VERSION = '0.1.0';

/** The `endpoint` value of requests that matched no route. */
export const UNMATCHED = 'unmatched';
