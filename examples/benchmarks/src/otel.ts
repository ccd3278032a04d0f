import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  ExportResultCode,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { setFlagsFromString } from 'node:v8';
import type { Variant } from './app';

/** Layer names of the packages' middleware (express names a layer after its function). */
export const OWN_LAYERS =
  /^middleware - (trackingIdMiddleware|httpMetricsMiddleware|requestLoggerMiddleware)$/;

/** Accepts every batch and drops it: measures the SDK and instrumentation, not a network. */
const noopExporter: SpanExporter = {
  export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: async () => undefined,
};

/**
 * The instrumented baseline: http + express instrumentation, batching, no-op export.
 * `ignoreOwnLayers` gives the express instrumentation the config @ai-teams/telemetry uses,
 * which skips layer spans for the packages' own middleware; otherwise every added middleware
 * costs a span of its own, whatever it does.
 */
export function setupTracing(ignoreOwnLayers = true): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
  const provider = new TracerProvider({
    spanProcessors: [new BatchSpanProcessor({ exporter: noopExporter })],
  });
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation(),
      new ExpressInstrumentation(ignoreOwnLayers ? { ignoreLayers: [OWN_LAYERS] } : {}),
    ],
  });
}

/**
 * A variant's `create` with V8's allocation-site pretenuring off, set before anything else loads
 * (docs/performance.md, "Stop 16"): the collector's costly regime taken out of a comparison.
 */
export function withoutPretenuring(create: () => ReturnType<Variant['create']>) {
  return () => {
    setFlagsFromString('--no-allocation-site-pretenuring');
    return create();
  };
}
