import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { pipeline } from 'node:stream';
import type { ErrorRequestHandler, Express } from 'express';
import {
  describeExpress,
  failingSource,
  rawExchange,
  rawGet as get,
  type RawExchangeOptions,
} from '@ai-teams/test-utils';
import { markServerCut } from '@ai-teams/tracking-id';
import { capturedLogger } from './helpers';
import { requestLogger } from '../src';

// As errorHandler() of error-span-events does; Express then cuts the connection.
const markingHandler: ErrorRequestHandler = (err, _req, res, next) => {
  res.locals.error = err;
  if (res.headersSent) markServerCut(res);
  next(err);
};

type Line = Record<string, unknown>;

describeExpress('requestLogger() of a response that did not finish', (createApp) => {
  /** The access lines of `app` on one raw connection, by message. */
  async function linesOf(
    routes: (app: Express) => void,
    o: RawExchangeOptions,
  ): Promise<{ lines: Line[]; received: string }> {
    const { out, logger } = capturedLogger();
    const app = createApp();
    app.use(requestLogger({ logger }));
    routes(app);
    const received = await rawExchange(app, o);
    const lines = out.lines().map(({ '@message': m, '@level': level, response, error }) => ({
      '@message': m,
      '@level': level,
      response,
      ...(error === undefined ? {} : { error: (error as { message?: unknown }).message }),
    }));
    return { lines, received };
  }

  it('writes 500 at error for a streamed response whose source failed halfway (pipeline)', async () => {
    const { lines, received } = await linesOf(
      (app) => {
        app.get('/export', (_req, res, next) => {
          res.type('text/csv');
          pipeline(failingSource(), res, (err) => err && next(err));
        });
        app.use(markingHandler);
      },
      { send: get('/export'), responses: 1 },
    );
    assert.match(received, /^HTTP\/1\.1 200 OK/);
    assert.deepEqual(lines, [
      {
        '@message': 'GET /export - 500',
        '@level': 'ERROR',
        response: {
          status: 500,
          size: 10,
          content_type: 'text/csv; charset=utf-8',
          aborted: true,
          status_sent: 200,
        },
        error: 'upstream failed mid-stream',
      },
    ]);
  });

  it('writes the status Node answered when it closed the connection: 408, 400', async () => {
    const stalled = await linesOf(
      (app) =>
        app.post('/upload', (req) => {
          req.resume(); // a body that stalls
        }),
      {
        send: 'POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\nfirst bytes',
        responses: 1,
        server: { requestTimeout: 100, connectionsCheckingInterval: 10 },
      },
    );
    assert.match(stalled.received, /^HTTP\/1\.1 408 /);
    const malformed = await linesOf(
      (app) =>
        app.get('/slow', () => {
          // the next request on the connection breaks it first
        }),
      { send: `${get('/slow')}GET /next HTTP/1.1\r\nNot a header\r\n\r\n`, responses: 1 },
    );
    assert.match(malformed.received, /^HTTP\/1\.1 400 /);
    assert.deepEqual(
      [...stalled.lines, ...malformed.lines],
      [
        {
          '@message': 'POST /upload - 408',
          '@level': 'WARN',
          response: { status: 408, size: 0, aborted: true },
        },
        {
          '@message': 'GET /slow - 400',
          '@level': 'WARN',
          response: { status: 400, size: 0, aborted: true },
        },
      ],
    );
  });

  it('writes status_sent, and a size, only for headers written to the connection', async () => {
    const signals = new EventEmitter();
    const { lines } = await linesOf(
      (app) => {
        app.get('/slow', (_req, res) => {
          // Streams once the request behind it has been answered, into its queue.
          signals.once('answered', () => res.type('text/plain').write('first chunk;'));
        });
        app.get('/queued', (_req, res) => {
          res.status(202).send('waits for the socket');
          signals.emit('answered');
        });
      },
      {
        send: get('/slow') + get('/queued'),
        responses: 2,
        client: (socket) => socket.once('data', () => socket.end()),
      },
    );
    const held = await linesOf(
      (app) =>
        app.get('/held', (_req, res) => {
          res.writeHead(200); // kept until the first write, which never comes
          signals.emit('held');
        }),
      {
        send: get('/held'),
        responses: 1,
        client: (socket) => void once(signals, 'held').then(() => socket.end()),
      },
    );
    assert.deepEqual(
      [...lines, ...held.lines].map((l) => [l['@message'], l.response]),
      [
        [
          'GET /slow - 499',
          {
            status: 499,
            size: 12,
            content_type: 'text/plain; charset=utf-8',
            aborted: true,
            status_sent: 200,
          },
        ],
        [
          'GET /queued - 499',
          { status: 499, size: 0, content_type: 'text/html; charset=utf-8', aborted: true },
        ],
        ['GET /held - 499', { status: 499, size: 0, aborted: true }],
      ],
    );
  });
});
