import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, RPCType, setRPCMetadata } from '@opentelemetry/core';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { trackingId } from '@ai-teams/tracking-id';
import type { Express, Request, RequestHandler, Response } from 'express';
import { OWN_LAYERS } from './otel';
import { median } from './stats';

// Nanoseconds per request, where throughput ratios cannot resolve 1%: each handler is called
// directly, in the context the http instrumentation gives a request (a real SDK server span
// and its RPC metadata), on real http request/response objects, against an empty middleware
// called the same way:
// - trackingId()'s own work;
// - the express instrumentation's wrapper around a layer it is told to skip (no span), which
//   unwrapSkippedLayer() takes off: the layer's handle as the instrumentation patched it.
const CALLS = Number(process.env.BENCH_CALLS ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const provider = new TracerProvider({
  spanProcessors: [
    new BatchSpanProcessor({
      exporter: {
        export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
        shutdown: async () => undefined,
      },
    }),
  ],
});
const tracer = provider.getTracer('bench');
registerInstrumentations({
  tracerProvider: provider,
  instrumentations: [new ExpressInstrumentation({ ignoreLayers: [OWN_LAYERS] })],
});

function perCall(middleware: RequestHandler): number {
  let total = 0n;
  const next = () => undefined;
  for (let i = 0; i < CALLS; i++) {
    const span = tracer.startSpan('GET /api/v1/items/:id');
    const ctx = setRPCMetadata(trace.setSpan(ROOT_CONTEXT, span), { type: RPCType.HTTP, span });
    const req = new IncomingMessage(new Socket()) as unknown as Request;
    const res = new ServerResponse(req as unknown as IncomingMessage) as unknown as Response;
    res.locals = Object.create(null) as Response['locals'];
    const start = process.hrtime.bigint();
    context.with(ctx, () => middleware(req, res, next));
    total += process.hrtime.bigint() - start;
    span.end();
  }
  return Number(total) / CALLS;
}

// Named as tracking-id's middleware, so the instrumentation's OWN_LAYERS pattern skips its layer.
const empty: RequestHandler = function trackingIdMiddleware(_req, _res, next) {
  next();
};
const tracked = trackingId();
// express after the instrumentation, so it is patched; app.use() wraps the layer's handle.
const express = require('express') as typeof import('express');
const app: Express = express();
app.use(empty);
const layer = (app as unknown as { router: { stack: { handle: RequestHandler }[] } }).router
  .stack[0]!;
const wrapped = layer.handle;
if (wrapped === empty) throw new Error('the express instrumentation did not wrap the layer');

const own: number[] = [];
const wrapper: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const a = perCall(empty);
  const b = perCall(tracked);
  const c = perCall(wrapped);
  own.push(b - a);
  wrapper.push(c - a);
  console.log(
    `round ${round}: empty ${a.toFixed(0)} ns, trackingId ${b.toFixed(0)} ns, ` +
      `empty in the skipped-layer wrapper ${c.toFixed(0)} ns per call`,
  );
}
// The first rounds include JIT warm-up; the median is the figure.
console.log(`trackingId() own work: median ${median(own).toFixed(0)} ns per request`);
console.log(`skipped-layer wrapper: median ${median(wrapper).toFixed(0)} ns per request`);
void provider.shutdown();
