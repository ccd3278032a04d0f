import assert from 'node:assert/strict';
import http from 'node:http';
import type { ErrorRequestHandler } from 'express';
import { describeExpress, listen } from '@ai-teams/test-utils';
import { CLIENT_CLOSED, SERVER_CUT, finalStatus, markServerCut } from '../src';

describeExpress('finalStatus()', (createApp) => {
  it('reads the status sent, 499 for a client that left, 500 for a response marked as failed after its headers', async () => {
    const seen = new Map<string, number>();
    let closes = 0;
    let allClosed!: () => void;
    const closed = new Promise<void>((resolve) => (allClosed = resolve));
    const app = createApp();
    app.use((req, res, next) => {
      res.on('close', () => {
        seen.set(req.path, finalStatus(res));
        if (++closes === 5) allClosed();
      });
      next();
    });
    app.get('/ok', (_req, res) => {
      res.status(201).send('done');
    });
    app.get('/client-left', (_req, res) => {
      res.write('partial'); // the client drops it here
    });
    app.get('/server-cut', (_req, res, next) => {
      res.write('partial');
      setTimeout(() => next(new Error('upstream failed mid-stream')), 20);
    });
    // The client leaves first; the app fails afterwards, because of it.
    app.get('/failed-after-client-left', (req, res, next) => {
      res.write('partial');
      req.once('close', () => setTimeout(() => next(new Error('aborted upstream')), 20));
    });
    // An error kept for the access line on a response that goes on: the client leaving it is
    // still the client's doing.
    app.get('/recovered', (_req, res) => {
      res.locals.error = new Error('cache miss, served from the database');
      res.write('partial');
    });
    // As errorHandler() of error-span-events does.
    const handler: ErrorRequestHandler = (err, _req, res, next) => {
      res.locals.error = err;
      if (res.headersSent) markServerCut(res);
      next(err); // headers sent: Express cuts the connection
    };
    app.use(handler);
    const server = await listen(app);
    try {
      const get = (path: string, leave: boolean) =>
        new Promise<void>((resolve) => {
          const req = http.get(`${server.url}${path}`, (res) => {
            res.once('data', () => {
              if (leave) req.destroy();
            });
            res.resume();
            res.once('end', () => resolve());
            res.once('error', () => resolve());
            res.once('close', () => resolve());
          });
          req.on('error', () => resolve());
        });
      await get('/ok', false);
      await get('/client-left', true);
      await get('/server-cut', false);
      await get('/failed-after-client-left', true);
      await get('/recovered', true);
      await closed;
    } finally {
      await server.close();
    }
    assert.deepEqual(Object.fromEntries(seen), {
      '/ok': 201,
      '/client-left': CLIENT_CLOSED,
      '/server-cut': SERVER_CUT,
      '/failed-after-client-left': CLIENT_CLOSED,
      '/recovered': CLIENT_CLOSED,
    });
  });
});
