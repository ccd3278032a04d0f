import type { Variant } from '../app';
import { app } from '../app';
import { setupTracing } from '../otel';
import { createWriteStream } from 'node:fs';
import type { RequestHandler } from 'express';

type Pkg = typeof import('@ai-teams/error-span-events');
const pkg = () => require('@ai-teams/error-span-events') as Pkg;

/** One info line per request through winston (JSON to /dev/null), optionally with the format. */
function infoLogging(withFormat: boolean): RequestHandler {
  const winston = require('winston') as typeof import('winston');
  const { combine, json } = winston.format;
  const logger = winston.createLogger({
    format: withFormat ? combine(pkg().errorSpanEvents(), json()) : json(),
    transports: [new winston.transports.Stream({ stream: createWriteStream('/dev/null') })],
  });
  return function requestInfo(req, _res, next) {
    logger.info('request', { method: req.method, path: req.path });
    next();
  };
}

export const errorVariants: Variant[] = [
  {
    // Installed but never reached: a successful request skips error middleware.
    name: 'express+otel+error-handler',
    baseline: 'express+otel',
    create: () => {
      setupTracing();
      const a = app();
      a.use(pkg().errorHandler());
      return a;
    },
  },
  {
    name: 'express+otel+winston-info',
    baseline: 'express+otel',
    create: () => {
      setupTracing();
      return app([infoLogging(false)]);
    },
  },
  {
    name: 'express+otel+winston-info+error-span-events',
    baseline: 'express+otel+winston-info',
    create: () => {
      setupTracing();
      return app([infoLogging(true)]);
    },
  },
];
