import assert from 'node:assert/strict';
import http from 'node:http';
import { pipeline } from 'node:stream';
import type { ErrorRequestHandler, Express } from 'express';
import {
  describeExpress,
  listen,
  failingSource,
  rawExchange,
  rawGet as get,
  type RawExchangeOptions,
} from '@ai-teams/test-utils';
import { CLIENT_CLOSED, SERVER_CUT, finalStatus, markServerCut } from '../src';
import { watchCloses, type Closes } from './closes';

// As errorHandler() of error-span-events does.
const markingHandler: ErrorRequestHandler = (err, _req, res, next) => {
  res.locals.error = err;
  if (res.headersSent) markServerCut(res);
  next(err); // headers sent: Express cuts the connection
};

interface Exchange extends Closes {
  /** What the client received before the connection closed. */
  received: string;
}

/**
 * `app` on one raw connection (see rawExchange()), with finalStatus() of each response read
 * when it closed.
 */
async function exchange(
  createApp: () => Express,
  routes: (app: Express) => void,
  o: RawExchangeOptions,
): Promise<Exchange> {
  const app = createApp();
  // As the packages' middleware do: a queued response closes with its connection on any Node.
  const { statuses, closes } = watchCloses(app);
  routes(app);
  const received = await rawExchange(app, o);
  return { statuses, closes, received };
}

/** Records `finalStatus()` of each request when its response closes; `closed` once `count` have. */
function recordFinalStatus(app: Express, count: number) {
  const seen = new Map<string, number>();
  let closes = 0;
  let allClosed!: () => void;
  const closed = new Promise<void>((resolve) => (allClosed = resolve));
  app.use((req, res, next) => {
    res.on('close', () => {
      seen.set(req.path, finalStatus(res));
      if (++closes === count) allClosed();
    });
    next();
  });
  return { seen, closed };
}

/** GETs `path`, dropping the response at its first chunk when `leave`; resolves once it is over. */
function getLeaving(url: string, path: string, leave: boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    const req = http.get(`${url}${path}`, (res) => {
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
}

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code;

describeExpress('finalStatus()', (createApp) => {
  it('reads the status sent, 499 for a client that left (the status sent when it left an event stream), 500 for a response marked as failed after its headers', async () => {
    const app = createApp();
    const { seen, closed } = recordFinalStatus(app, 7);
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
    // Server-Sent Events: a stream that ends when its client closes it.
    app.get('/events', (_req, res) => {
      res.set('Content-Type', 'text/event-stream; charset=utf-8').write('data: 1\n\n');
    });
    app.get('/events-cut', (_req, res, next) => {
      res.set('Content-Type', 'text/event-stream').write('data: 1\n\n');
      setTimeout(() => next(new Error('event source failed')), 20);
    });
    app.use(markingHandler);
    const server = await listen(app);
    try {
      await getLeaving(server.url, '/ok', false);
      await getLeaving(server.url, '/client-left', true);
      await getLeaving(server.url, '/server-cut', false);
      await getLeaving(server.url, '/failed-after-client-left', true);
      await getLeaving(server.url, '/recovered', true);
      await getLeaving(server.url, '/events', true);
      await getLeaving(server.url, '/events-cut', false);
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
      '/events': 200,
      '/events-cut': SERVER_CUT,
    });
  });

  it('reads the status sent for an event stream its client closed whose type writeHead() alone set, or set as an array', async () => {
    const app = createApp();
    // No header set before writeHead(): Node then keeps its headers only in what it wrote.
    app.disable('x-powered-by');
    const { seen, closed } = recordFinalStatus(app, 4);
    app.get('/write-head', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'Text/Event-Stream; charset=utf-8' });
      res.write('data: 1\n\n');
    });
    app.get('/raw-headers', (_req, res) => {
      res.writeHead(200, ['Content-Type', 'text/event-stream']).write('data: 1\n\n');
    });
    app.get('/array', (_req, res) => {
      res.setHeader('Content-Type', ['text/event-stream']);
      res.write('data: 1\n\n');
    });
    app.get('/ndjson', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson' }).write('{}\n');
    });
    const server = await listen(app);
    try {
      for (const path of ['/write-head', '/raw-headers', '/array', '/ndjson'])
        await getLeaving(server.url, path, true);
      await closed;
    } finally {
      await server.close();
    }
    assert.deepEqual(Object.fromEntries(seen), {
      '/write-head': 200,
      '/raw-headers': 200,
      '/array': 200,
      '/ndjson': CLIENT_CLOSED,
    });
  });
});

describeExpress('finalStatus() of a response that did not finish', (createApp) => {
  const on = (routes: (app: Express) => void, o: RawExchangeOptions) =>
    exchange(createApp, routes, o);

  it('reads 500 for a response the app destroyed with an error: a pipeline whose source failed', async () => {
    const routes = (app: Express) => {
      // The response closes before pipeline's callback: markServerCut() comes too late for it.
      app.get('/export', (_req, res, next) => {
        pipeline(failingSource(), res, (err) => err && next(err));
      });
      app.get('/destroyed', (_req, res) => {
        res.write('partial');
        setImmediate(() => res.destroy(new Error('cache entry corrupt')));
      });
      app.use(markingHandler);
    };
    const exported = await on(routes, { send: get('/export'), responses: 1 });
    assert.match(exported.received, /^HTTP\/1\.1 200 OK/);
    const destroyed = await on(routes, { send: get('/destroyed'), responses: 1 });
    assert.deepEqual(
      { ...exported.statuses, ...destroyed.statuses },
      { '/export': SERVER_CUT, '/destroyed': SERVER_CUT },
    );
  });

  it('reads 408 for a request body that stalled past requestTimeout, as Node answered', async () => {
    const { statuses, received } = await on(
      (app) =>
        app.post('/upload', (req) => {
          req.resume(); // waits for a body that stalls
        }),
      {
        send: 'POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\nfirst bytes',
        responses: 1,
        server: { requestTimeout: 100, connectionsCheckingInterval: 10 },
      },
    );
    assert.match(received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.deepEqual(statuses, { '/upload': 408 });
  });

  it('reads the status Node answered a request it could not parse with: 400, 431, 413', async () => {
    const routes = (app: Express) => {
      app.get('/slow', () => {
        // answers later: the next request on the connection breaks it first
      });
      app.post('/upload', (req) => {
        req.resume();
      });
    };
    const cases: [string, number, string][] = [
      [
        `${get('/slow')}GET /next HTTP/1.1\r\nHost: localhost\r\nNot a header\r\n\r\n`,
        400,
        '/slow',
      ],
      [`${get('/slow')}GET /next HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, '/slow'],
      [
        'POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n' +
          `1;ext=${'a'.repeat(20_000)}\r\n`,
        413,
        '/upload',
      ],
    ];
    const read: Record<string, number>[] = [];
    for (const [send, status] of cases) {
      const { statuses, received } = await on(routes, { send, responses: 1 });
      assert.match(received, new RegExp(`^HTTP/1\\.1 ${status} `), `${status}: ${received}`);
      read.push(statuses);
    }
    assert.deepEqual(
      read,
      cases.map(([, status, path]) => ({ [path]: status })),
    );
  });

  it('reads 500 for a request pipelined behind a response the server cut, 499 behind one the client left', async () => {
    const routes = (app: Express) => {
      app.get('/a', (_req, res, next) => {
        res.write('partial');
        setImmediate(() => next(new Error('database went away')));
      });
      app.get('/left', (_req, res) => {
        res.write('partial'); // the client leaves it
      });
      app.get('/b', (_req, res) => {
        res.status(202).send('queued behind the first');
      });
      app.use(markingHandler);
    };
    const cut = await on(routes, { send: get('/a') + get('/b'), responses: 2 });
    assert.match(cut.received, /^HTTP\/1\.1 200 OK/);
    assert.doesNotMatch(cut.received, / 202 /);
    assert.deepEqual(cut.statuses, { '/a': SERVER_CUT, '/b': SERVER_CUT });
    assert.deepEqual(cut.closes, { '/a': 1, '/b': 1 }, "one 'close' each, Node's or ours");
    // A clean close (FIN) and a reset (ECONNRESET on the server's socket) by the client.
    const ended = await on(routes, {
      send: get('/left') + get('/b'),
      responses: 2,
      client: (socket) => socket.once('data', () => socket.end()),
    });
    assert.deepEqual(ended.statuses, { '/left': CLIENT_CLOSED, '/b': CLIENT_CLOSED });
    assert.deepEqual(ended.closes, { '/left': 1, '/b': 1 });
    const reset = await on(routes, {
      send: get('/left') + get('/b'),
      responses: 2,
      client: (socket) => socket.once('data', () => socket.resetAndDestroy()),
    });
    assert.deepEqual(reset.statuses, { '/left': CLIENT_CLOSED, '/b': CLIENT_CLOSED });
    assert.deepEqual(reset.closes, { '/left': 1, '/b': 1 });
  });

  it('keeps 499 for a client that resets the connection or closes it in the middle of a body', async () => {
    const errors: unknown[] = [];
    const routes = (app: Express) => {
      app.get('/stream', (req, res) => {
        res.write('partial');
        res.once('close', () => errors.push(codeOf(req.socket.errored)));
      });
      app.post('/upload', (req, res) => {
        req.resume();
        res.once('close', () => errors.push(codeOf(req.socket.errored)));
        res.write('receiving');
      });
    };
    const reset = await on(routes, {
      send: get('/stream'),
      responses: 1,
      client: (socket) => socket.once('data', () => socket.resetAndDestroy()),
    });
    const left = await on(routes, {
      send: 'POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\nfirst bytes',
      responses: 1,
      client: (socket) => socket.once('data', () => socket.end()),
    });
    // What the server's socket holds: the reset, and the parser's error for the cut body.
    assert.deepEqual(errors, ['ECONNRESET', 'HPE_INVALID_EOF_STATE']);
    assert.deepEqual(
      { ...reset.statuses, ...left.statuses },
      { '/stream': CLIENT_CLOSED, '/upload': CLIENT_CLOSED },
    );
  });
});
