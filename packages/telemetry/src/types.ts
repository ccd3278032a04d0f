import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoggerProvider, MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { SpanExporter } from '@opentelemetry/sdk-trace';

/**
 * A handler on Node's request and response, which Express 4 and 5 take as they are:
 * `app.get('/metrics', metricsHandler)`. Not Express's `RequestHandler`, so these declarations
 * need no `@types/express`. `next` is accepted and never called.
 */
export type MetricsHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (err?: unknown) => void,
) => void;

/** Where metrics go. */
export type MetricsMode = 'prometheus' | 'otlp' | 'none';

/** Options of `setupTelemetry()`. Every field has an environment fallback. */
export interface TelemetryOptions {
  /**
   * `service.name` of every span, metric and log record.
   * @default process.env.OTEL_SERVICE_NAME, else the error names the option
   */
  serviceName?: string | undefined;
  /**
   * `service.version`.
   * @default process.env.SERVICE_VERSION ?? process.env.npm_package_version
   */
  serviceVersion?: string | undefined;
  /**
   * `deployment.environment.name` (and the older `deployment.environment`, `environment`).
   * @default DEPLOYMENT_ENVIRONMENT ?? ENVIRONMENT ?? 'dev'
   */
  environment?: string | undefined;
  /**
   * `project` resource attribute and metric label.
   * @default process.env.PROJECT ?? 'starmates-ai-team'
   */
  project?: string | undefined;
  /**
   * OTLP/HTTP base URL (signal paths `/v1/traces`, `/v1/logs`, `/v1/metrics` are appended).
   * @default the standard OTEL_EXPORTER_OTLP_* variables, else 'http://localhost:4318'
   */
  otlpEndpoint?: string | undefined;
  /**
   * Export spans over OTLP.
   * @default OTEL_TRACES_EXPORTER !== 'none'
   */
  traces?: boolean | undefined;
  /**
   * Send log records over OTLP (winston loggers get the OpenTelemetry transport).
   * @default OTEL_LOGS_EXPORTER !== 'none'
   */
  logs?: boolean | undefined;
  /**
   * `prometheus`: served by your app (`metricsHandler()`); `otlp`: pushed to the collector.
   * @default OTEL_METRICS_EXPORTER, else 'prometheus'; any other value (`console`, a list) is a
   *   TypeError naming the variable: set-up fails at start rather than run without metrics
   */
  metrics?: MetricsMode | undefined;
  /**
   * Incoming request paths that open no trace (health checks and scrapes).
   * @default ['/health', '/metrics']
   */
  ignorePaths?: readonly string[] | undefined;
  /**
   * Whether an incoming request's trace context (`traceparent`, `tracestate`, `baggage`, or the
   * headers of the propagators OTEL_PROPAGATORS names) is continued. `false` for a service that
   * outside callers reach directly: each request then starts a trace of its own (so its own
   * tracking id) with no baggage, and those headers are taken off the request. A function
   * decides per request (e.g. by `req.socket.remoteAddress`); it returning anything but `true`,
   * or throwing, means not trusted.
   * @default AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT (`true`, `false`, or a comma-separated list
   *   of addresses and CIDR blocks whose callers are trusted: `10.0.0.0/8,127.0.0.1`), else true
   */
  trustIncomingTraceContext?: boolean | ((req: IncomingMessage) => boolean) | undefined;
  /**
   * Flush and shut down on SIGTERM, then let the process exit.
   * @default false
   */
  shutdownOnSigterm?: boolean | undefined;
  /**
   * Span exporter (batched). For tests and benchmarks; production uses OTLP/HTTP.
   * @default new OTLPTraceExporter() on `otlpEndpoint`
   */
  traceExporter?: SpanExporter | undefined;
  /**
   * Log record exporter (batched).
   * @default new OTLPLogExporter() on `otlpEndpoint`
   */
  logExporter?: LogRecordExporter | undefined;
  /**
   * Minimum interval between two diagnostic lines about failed exports.
   * @default 60000
   */
  diagIntervalMs?: number | undefined;
}

/** What `setupTelemetry()` returns. */
export interface Telemetry {
  /** The global tracer provider after set-up (`trace.getTracerProvider()`). */
  tracerProvider: TracerProvider;
  /** The global meter provider after set-up (`metrics.getMeterProvider()`). */
  meterProvider: MeterProvider;
  /** The global logger provider after set-up (`logs.getLoggerProvider()`). */
  loggerProvider: LoggerProvider;
  /**
   * Serves `/metrics` in Prometheus text format (404 unless metrics mode is `prometheus`); in
   * that mode `503` (`metrics unavailable: …`) after `shutdown()`, so Prometheus marks the
   * target down.
   */
  metricsHandler: MetricsHandler;
  /** The options in force after env defaults were applied. */
  config: Readonly<ResolvedTelemetryOptions>;
  /** Flushes spans, metrics and logs, then stops exporting. Safe to call twice. */
  shutdown(): Promise<void>;
}

/** `TelemetryOptions` after the environment and defaults were applied: `Telemetry.config`. */
export type ResolvedTelemetryOptions = {
  // Not Required<>: under exactOptionalPropertyTypes it keeps the options' own `| undefined`.
  [
    K in Exclude<
      keyof TelemetryOptions,
      'otlpEndpoint' | 'traceExporter' | 'logExporter' | 'ignorePaths'
    >
  ]-?: Exclude<TelemetryOptions[K], undefined>;
} & {
  /** The paths that open no trace: a copy of the option's (which may be a readonly array). */
  ignorePaths: string[];
  /** The `otlpEndpoint` option without trailing slashes; `undefined` leaves it to `OTEL_EXPORTER_OTLP_*`. */
  otlpEndpoint: string | undefined;
  /**
   * `service.instance.id` on every signal: OTEL_RESOURCE_ATTRIBUTES's (with pm2's
   * `-<NODE_APP_INSTANCE>`, else `-<cluster.worker.id>`, in a worker), else a random UUID.
   */
  serviceInstanceId: string;
};
