import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
  type Sampler,
} from '@opentelemetry/sdk-trace';

export interface TestTracing {
  exporter: InMemorySpanExporter;
  provider: TracerProvider;
  /** The express instrumentation, for tests that change its config (`setConfig`). */
  express: ExpressInstrumentation;
  /** Spans finished so far (export is asynchronous in SDK 3.x, so this flushes first). */
  spans(): Promise<ReadableSpan[]>;
  /** The SERVER spans (kind 1) the http instrumentation opened, optionally for one trace id. */
  serverSpans(traceId?: string): Promise<ReadableSpan[]>;
  reset(): void;
}

let state: { tracing: TestTracing; instrumentations: Instrumentation[] } | undefined;

/**
 * Registers the real SDK globally (ALS context manager, W3C propagation, in-memory exporter,
 * http + express instrumentation). Idempotent: later calls re-enable the same set-up, so
 * suites that ran `disableTestTracing()` can switch tracing back on.
 */
export function enableTestTracing(options: { sampler?: Sampler } = {}): TestTracing {
  if (state && options.sampler) {
    throw new Error('enableTestTracing: a sampler can only be chosen on the first call');
  }
  if (!state) {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
      ...(options.sampler ? { sampler: options.sampler } : {}),
    });
    const express = new ExpressInstrumentation();
    const instrumentations: Instrumentation[] = [
      // supertest's own requests have no parent: without this they would start the trace.
      new HttpInstrumentation({ requireParentforOutgoingSpans: true }),
      express,
      // global fetch: client spans and traceparent injection, as in production.
      new UndiciInstrumentation({ requireParentforSpans: true }),
    ];
    const spans = async () => {
      await provider.forceFlush();
      return exporter.getFinishedSpans();
    };
    state = {
      instrumentations,
      tracing: {
        exporter,
        provider,
        express,
        spans,
        serverSpans: async (traceId) =>
          (await spans()).filter(
            (s) => s.kind === 1 && (!traceId || s.spanContext().traceId === traceId),
          ),
        reset: () => exporter.reset(),
      },
    };
  }
  trace.disable();
  context.disable();
  propagation.disable();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
  trace.setGlobalTracerProvider(state.tracing.provider);
  for (const i of state.instrumentations) {
    i.setTracerProvider(state.tracing.provider);
    i.enable();
  }
  // http and express may have been loaded before the hooks existed (supertest, the code under
  // test): requiring them again lets require-in-the-middle patch the already-loaded modules.
  require('http');
  require('express');
  // Express 4 too, through the path its workspace resolves it to (it re-exports that module).
  require(require.resolve('express', { paths: [require.resolve('@ai-teams/express4')] }));
  state.tracing.reset();
  return state.tracing;
}

/** Removes every global OpenTelemetry registration: the "no SDK" situation of a plain app. */
export function disableTestTracing(): void {
  for (const i of state?.instrumentations ?? []) i.disable();
  trace.disable();
  context.disable();
  propagation.disable();
}
