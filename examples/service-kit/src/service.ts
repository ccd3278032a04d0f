import type { Writable } from 'node:stream';
import express, { type Express, type RequestHandler } from 'express';
import type { MeterProvider } from '@opentelemetry/api';
import { createLogger, requestLogger } from '@ai-teams/cloudwatch-logger';
import { errorHandler, errorSpanEvents } from '@ai-teams/error-span-events';
import { businessMetrics, httpMetrics, type BusinessMetrics } from '@ai-teams/otel-metrics';
import { getTelemetry } from '@ai-teams/telemetry';
import { trackingId } from '@ai-teams/tracking-id';

export interface ServiceOptions {
  /** The service's own name, for when neither the options nor the telemetry name it. */
  defaultServiceName: string;
  /**
   * `service` in logs and metric labels, and `service_name` in the HTTP and business metrics.
   * @default the name setupTelemetry() resolved (its option, OTEL_SERVICE_NAME or
   * OTEL_RESOURCE_ATTRIBUTES: the spans' `service.name`), else OTEL_SERVICE_NAME, else
   * `defaultServiceName`
   */
  serviceName?: string;
  /** dev, staging or prod. @default ENVIRONMENT ?? 'dev' */
  environment?: string;
  /** Where JSON log lines go. @default process.stdout */
  logStream?: Writable;
  /** Meter provider for HTTP and business metrics. @default the global one (setupTelemetry) */
  meterProvider?: MeterProvider;
  /** Serves /metrics. @default the handler of setupTelemetry(), if any */
  metricsHandler?: RequestHandler;
  /**
   * An uncaught exception becomes one JSON error line (with its request's tracking id) and the
   * telemetry is flushed before the process exits 1 (cloudwatch-logger's `handleExceptions`).
   * Off for apps made inside a test runner, whose own handler must see the exception; the
   * services' `main.ts` turns it on. @default false
   */
  handleExceptions?: boolean;
}

export type Logger = ReturnType<typeof createLogger>;

export interface Service {
  app: Express;
  logger: Logger;
  business: BusinessMetrics;
  /** Mounts the 404 and error handlers: call after the routes. */
  finish(): Express;
}

/** An Express app with every package in place, in the order a real service would use. */
export function createService(options: ServiceOptions): Service {
  // The environment the telemetry resolved (it reads OTEL_RESOURCE_ATTRIBUTES too), else the
  // same variables in the same order as every package: a service the metrics call prod never
  // logs at debug or shows stacks because a less specific variable said otherwise.
  const environment =
    options.environment ??
    getTelemetry()?.config.environment ??
    process.env.DEPLOYMENT_ENVIRONMENT ??
    process.env.ENVIRONMENT ??
    'dev';
  // The spans' name: a service renamed by OTEL_SERVICE_NAME is renamed in its logs and metrics
  // too, instead of reading one name in Jaeger and another in Grafana.
  const serviceName =
    options.serviceName ??
    getTelemetry()?.config.serviceName ??
    (process.env.OTEL_SERVICE_NAME?.trim() || undefined) ??
    options.defaultServiceName;
  const logger = createLogger({
    service: serviceName,
    environment,
    formats: [errorSpanEvents({ loggerName: serviceName })],
    ...(options.logStream ? { stream: options.logStream } : {}),
    handleExceptions: options.handleExceptions ?? false,
  });
  // Access lines at ERROR (5xx) are not error reports: they go through a logger without the
  // errorSpanEvents format, so a failed request gets one error_log event, not two.
  const accessLogger = createLogger({
    service: serviceName,
    environment,
    ...(options.logStream ? { stream: options.logStream } : {}),
  });
  const meterProvider = options.meterProvider;
  const business = businessMetrics({ serviceName, ...(meterProvider ? { meterProvider } : {}) });

  const app = express();
  app.disable('x-powered-by');
  // For serve(): its start-up message and ready message name the service as everything else does.
  app.locals.serviceName = serviceName;
  app.use(trackingId());
  app.use(requestLogger({ logger: accessLogger, skip: ['/health', '/metrics'] }));
  app.use(
    httpMetrics({
      serviceName,
      ignore: ['/health', '/metrics'],
      ...(meterProvider ? { meterProvider } : {}),
    }),
  );
  app.use(express.json({ limit: '100kb' }));
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: serviceName });
  });
  const metricsHandler = options.metricsHandler ?? getTelemetry()?.metricsHandler;
  app.get('/metrics', (req, res, next) => {
    if (metricsHandler) return metricsHandler(req, res, next);
    res.status(404).type('text/plain').send('no metrics exporter configured\n');
  });

  const finish = () => {
    app.use((req, res, next) => {
      // Express answers OPTIONS itself (200 with the route's methods in Allow) when no layer
      // does; on a path without routes its own 404 follows, as in any Express app.
      if (req.method === 'OPTIONS') return next();
      res.status(404).json({
        error: {
          type: 'NotFound',
          code: 'route_not_found',
          message: `no route for ${req.method} ${req.path}`,
        },
        tracking_id: req.trackingId,
      });
    });
    app.use(errorHandler({ logger, environment }));
    return app;
  };
  return { app, logger, business, finish };
}
