import type { MeterProvider } from '@opentelemetry/api';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { MeterProvider as SdkMeterProvider } from '@opentelemetry/sdk-metrics';
import type { Request, RequestHandler } from 'express';

/** The plan's required labels, carried by every exported series. */
export interface RequiredLabelsOptions {
  /**
   * Service name: the `service` label (and `service.name`).
   * @default process.env.OTEL_SERVICE_NAME, else 'unknown_service'
   */
  serviceName?: string | undefined;
  /**
   * Deployment environment: the `environment` label.
   * @default process.env.DEPLOYMENT_ENVIRONMENT, else process.env.ENVIRONMENT, else 'dev' (as @ai-teams/telemetry)
   */
  environment?: string | undefined;
  /**
   * Project: the `project` label.
   * @default process.env.PROJECT, else 'starmates-ai-team'
   */
  project?: string | undefined;
}

/** Options of `httpMetrics()`. */
export interface HttpMetricsOptions {
  /**
   * Where the instruments come from (e.g. `prometheusMetrics().meterProvider`).
   * @default the global provider (`metrics.getMeterProvider()` of `@opentelemetry/api`)
   */
  meterProvider?: MeterProvider | undefined;
  /**
   * The `service_name` label.
   * @default the service of the provider when `prometheusMetrics()` or `@ai-teams/telemetry`
   * made it, else process.env.OTEL_SERVICE_NAME, else 'unknown_service'
   */
  serviceName?: string | undefined;
  /**
   * Requests not measured: an array of exact paths (`'/health'`) or patterns, tested against
   * `req.path`. Anything else is a `TypeError`.
   * @default []
   */
  ignore?: ReadonlyArray<string | RegExp> | undefined;
  /**
   * Opt-in: add a `tracking_id` label (from `req.trackingId`, set by @ai-teams/tracking-id)
   * to `request_count` and `request_errors_total`. One series per request: read the README
   * on cardinality first.
   * @default false
   */
  trackingIdLabel?: boolean | undefined;
  /**
   * Opt-in: add a `user_id` label from this function to `request_count` and
   * `request_errors_total`. One series per user: read the README on cardinality first.
   * Cut at 128 characters; `undefined`, a throw or a value that is not a string or number
   * reads `none` (a throw also warns once, `AI_TEAMS_METRICS_USER_ID_LABEL`).
   * @default undefined (no user_id label)
   */
  userIdLabel?: ((req: Request) => string | undefined) | undefined;
  /**
   * Most `request_count` label sets, the overflow series (`otel_metric_overflow="true"`)
   * included. The middleware counts requests itself (cheaper than an SDK record per request)
   * and the provider observes the totals, which its own overflow would lose: it must not
   * exceed the provider's limit for `request_count`. On a provider made by
   * `prometheusMetrics()` or `@ai-teams/telemetry` a larger value is lowered to that limit,
   * with a warning. Shared by every `httpMetrics()` on the provider: the smallest given applies.
   * @default that provider's limit for `request_count` (500 unless set), else 400
   */
  requestCountLimit?: number | undefined;
  /**
   * Monotonic clock in milliseconds.
   * @default performance.now
   */
  now?: (() => number) | undefined;
}

/** Options of `businessMetrics()`. */
export interface BusinessMetricsOptions {
  /**
   * Where the instruments come from.
   * @default the global provider (`metrics.getMeterProvider()` of `@opentelemetry/api`)
   */
  meterProvider?: MeterProvider | undefined;
  /**
   * The `service_name` label of `api_key_usage_total`, `endpoint_usage_total` and
   * `user_activity_total`.
   * @default the service of the provider when `prometheusMetrics()` or `@ai-teams/telemetry`
   * made it, else process.env.OTEL_SERVICE_NAME, else 'unknown_service'
   */
  serviceName?: string | undefined;
  /**
   * Accepted `token_type` values of `ai_tokens_total` (keys of `recordAiRequest`'s `tokens`):
   * an array of non-empty strings.
   * @default ['input', 'output']
   */
  tokenTypes?: readonly string[] | undefined;
}

/** Options of `prometheusMetrics()`. */
export interface PrometheusMetricsOptions extends RequiredLabelsOptions {
  /**
   * Most attribute sets (series) one counter or gauge keeps, the overflow series included;
   * further ones are added up in the single `otel_metric_overflow="true"` series. Applies to
   * every non-histogram instrument of the provider.
   * @default 500
   */
  cardinalityLimit?: number | undefined;
  /**
   * The same for histograms, whose every attribute set is one series per bucket plus `_sum`
   * and `_count` (14 with the HTTP buckets).
   * @default 50
   */
  histogramCardinalityLimit?: number | undefined;
  /**
   * Per-metric overrides of both limits, by instrument name (`{ request_count: 1000 }`). A
   * name that is not one of this package's instruments gets a warning (it applies only to an
   * instrument of the app's own with that exact name).
   * @default {}
   */
  cardinalityLimits?: Record<string, number> | undefined;
  /**
   * Also register the provider as the global MeterProvider, so `httpMetrics()` and
   * `businessMetrics()` without a `meterProvider` option use it.
   * @default false
   */
  global?: boolean | undefined;
  /**
   * More resource attributes (shown on `target_info`, not as labels). A value given as
   * `undefined` or `null` (an unset environment variable) is left out.
   * @default {}
   */
  resourceAttributes?: Record<string, string | number | boolean | undefined> | undefined;
}

/** What `prometheusMetrics()` returns. */
export interface PrometheusMetrics {
  /** Pass it to `httpMetrics({ meterProvider })` and `businessMetrics({ meterProvider })`. */
  meterProvider: SdkMeterProvider;
  /**
   * Express handler answering the Prometheus text format: `app.get('/metrics', handler)`.
   * `200` with `Content-Type: text/plain; version=0.0.4; charset=utf-8`; `503`
   * (`metrics unavailable: …`) once the provider is shut down, so Prometheus marks the target down.
   */
  handler: RequestHandler;
  /** The underlying reader (no server of its own). */
  exporter: PrometheusExporter;
  /** Shuts the provider down (and unregisters it globally when `global` registered it). */
  shutdown(): Promise<void>;
}
