import type { Express, RequestHandler } from 'express';
import { setupTracing } from './otel';
import { errorVariants } from './variants/errors';
import { loggerVariants } from './variants/logger';
import { metricsVariants } from './variants/metrics';

export interface Variant {
  name: string;
  /** Variant whose throughput this one is divided by in the report. */
  baseline?: string;
  /** Runs in the variant's own process: set up instrumentation first, then build the app. */
  create(): Express;
}

/**
 * The benchmark app: one JSON route. express is required inside, after any instrumentation
 * the variant registered, so the instrumentation can patch it.
 */
export function app(middleware: RequestHandler[] = []): Express {
  const express = require('express') as typeof import('express');
  const a = express();
  for (const m of middleware) a.use(m);
  a.get('/api/v1/items/:id', (req, res) => {
    res.json({ id: req.params.id, ok: true });
  });
  return a;
}

/** The registry: a package adds its variants here, next to the baseline they compare with. */
export const variants: Variant[] = [
  { name: 'express', create: () => app() },
  {
    name: 'express+otel',
    baseline: 'express',
    create: () => {
      setupTracing();
      return app();
    },
  },
  {
    name: 'express+otel+tracking-id',
    baseline: 'express+otel',
    create: () => {
      setupTracing();
      const { trackingId } =
        require('@ai-teams/tracking-id') as typeof import('@ai-teams/tracking-id');
      return app([trackingId()]);
    },
  },
  {
    name: 'express+otel(default layers)',
    baseline: 'express',
    create: () => {
      setupTracing(false);
      return app();
    },
  },
  {
    name: 'express+otel(default layers)+tracking-id',
    baseline: 'express+otel(default layers)',
    create: () => {
      setupTracing(false);
      const { trackingId } =
        require('@ai-teams/tracking-id') as typeof import('@ai-teams/tracking-id');
      return app([trackingId()]);
    },
  },
  ...loggerVariants,
  ...metricsVariants,
  ...errorVariants,
];
