import { app, type Variant } from './app';
import { setupTracing } from './otel';
import { errorVariants } from './variants/errors';
import { loggerVariants } from './variants/logger';
import { metricsVariants } from './variants/metrics';
import { stackVariants } from './variants/stack';

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
    // Control: the cost of any one middleware layer under the express instrumentation.
    name: 'express+otel+noop-middleware',
    baseline: 'express+otel',
    create: () => {
      setupTracing();
      return app([(_req, _res, next) => next()]);
    },
  },
  {
    // A/A control: the baseline against itself, the harness's own bias and spread.
    name: 'express+otel(A/A)',
    baseline: 'express+otel',
    create: () => {
      setupTracing();
      return app();
    },
  },
  {
    // Control: an empty middleware whose layer the instrumentation is told to skip (as ours).
    name: 'express+otel+quiet-noop-middleware',
    baseline: 'express+otel',
    create: () => {
      setupTracing();
      return app([
        function trackingIdMiddleware(_req, _res, next) {
          next();
        },
      ]);
    },
  },
  {
    // Control: the same empty middleware, taking the skipped layer's wrapper off as ours do.
    name: 'express+otel+unwrapped-noop-middleware',
    baseline: 'express+otel',
    create: () => {
      setupTracing();
      const { unwrapSkippedLayer } =
        require('@ai-teams/tracking-id') as typeof import('@ai-teams/tracking-id');
      let settled = false;
      return app([
        function trackingIdMiddleware(req, _res, next) {
          if (!settled) settled = unwrapSkippedLayer(req, trackingIdMiddleware);
          next();
        },
      ]);
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
  ...stackVariants,
];
