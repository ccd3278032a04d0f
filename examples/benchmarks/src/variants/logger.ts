import { createWriteStream } from 'node:fs';
import type { RequestHandler } from 'express';
import { app, type Variant } from '../app';

// Access logging, JSON to /dev/null in all three, on the bare app (no OpenTelemetry), so
// the logging cost dominates. requestLogger is compared with pino-http and express-winston.
const devNull = () => createWriteStream('/dev/null');

export const loggerVariants: Variant[] = [
  {
    name: 'express+pino-http',
    baseline: 'express',
    create: () => {
      const pinoHttp = require('pino-http') as typeof import('pino-http');
      return app([pinoHttp.default({}, devNull()) as unknown as RequestHandler]);
    },
  },
  {
    name: 'express+express-winston',
    baseline: 'express',
    create: () => {
      const winston = require('winston') as typeof import('winston');
      const expressWinston = require('express-winston') as typeof import('express-winston');
      return app([
        expressWinston.logger({
          transports: [new winston.transports.Stream({ stream: devNull() })],
          format: winston.format.json(),
        }),
      ]);
    },
  },
  {
    name: 'express+request-logger',
    baseline: 'express+pino-http',
    versus: ['express+express-winston'],
    create: () => {
      const { requestLogger } =
        require('@ai-teams/cloudwatch-logger') as typeof import('@ai-teams/cloudwatch-logger');
      return app([requestLogger({ service: 'bench', environment: 'staging', stream: devNull() })]);
    },
  },
];
