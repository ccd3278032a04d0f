import type { Express, RequestHandler } from 'express';

export interface Variant {
  name: string;
  /** Variant whose throughput this one is divided by in the report. */
  baseline?: string;
  /** Further variants to compare with (an extra row each), e.g. a second competitor. */
  versus?: string[];
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
