import assert from 'node:assert/strict';
import http from 'node:http';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { runInNewContext } from 'node:vm';
import request from 'supertest';
import createError from 'http-errors';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ErrorRequestHandler, Express } from 'express';
import {
  describeExpress,
  disableTestTracing,
  enableTestTracing,
  getTarget,
  listen,
  rawExchange,
  rawGet,
  stderrOf,
  warningsOf,
  type TestTracing,
} from '@ai-teams/test-utils';
import {
  closeWhenConnectionCloses,
  finalStatus,
  MOUNT_ORDER_WINDOW_MS,
  trackingId,
} from '@ai-teams/tracking-id';
import { errorHandler, errorSpanEvents, type ErrorHandlerOptions } from '../src';
import {
  eventsNamed,
  lineOf,
  poolRoutes,
  revokedProxy,
  testLogger,
  withThrowingGetter,
} from './helpers';

const GENERIC_500 = { type: 'InternalServerError', code: null, message: 'Internal Server Error' };

describeExpress('errorHandler()', (createApp, version) => {
  let tracing: TestTracing;
  before(() => (tracing = enableTestTracing()));
  beforeEach(() => tracing.reset());

  /**
   * An app for pipelined requests: each response's final status goes into `statuses` by path
   * when it closes, a queued response's close handled as the packages' middleware do (Node 22
   * needs it), and GET /slow answers after `slowMs`, holding the connection for those behind it.
   */
  function pipelinedApp(slowMs = 150) {
    const statuses: Record<string, number> = {};
    const app = createApp();
    app.use((req, res, next) => {
      closeWhenConnectionCloses(res);
      res.setMaxListeners(20); // pipeline() adds 7 'close' listeners, the test's own on top
      res.on('close', () => (statuses[req.path] = finalStatus(res)));
      next();
    });
    app.get('/slow', (_req, res) => {
      setTimeout(() => res.send('slow'), slowMs);
    });
    return { app, statuses };
  }

  /** An app whose routes come from `routes`, ending with errorHandler() and a winston logger. */
  function setup(routes: (app: Express) => void, options: ErrorHandlerOptions = {}) {
    const log = testLogger(errorSpanEvents());
    const app = createApp();
    routes(app);
    app.use(errorHandler({ logger: log.logger, environment: 'prod', ...options }));
    return { app, capture: log.capture };
  }

  it('reads an Error made in another realm (a vm context) as an Error: its type and its stack', async () => {
    const foreign = runInNewContext(
      'function failing() { return new RangeError("from a sandbox") } failing()',
      {},
      { filename: '/srv/app/sandbox.js' },
    ) as Error;
    assert.equal(foreign instanceof Error, false, 'another realm');
    const { app, capture } = setup((a) =>
      a.get('/sandbox', () => {
        throw foreign;
      }),
    );
    await request(app).get('/sandbox').expect(500);
    const [server] = await tracing.serverSpans();
    const [exception] = server!.events.filter((e) => e.name === 'exception');
    assert.equal(exception!.attributes!['exception.type'], 'RangeError');
    const [line] = capture.lines() as [Record<string, any>];
    assert.equal(line.error.type, 'RangeError');
    assert.match(String(line.error.stack), /at failing \(\/srv\/app\/sandbox\.js:1:/);
  });

  it('answers a thrown error with a generic 500, the tracking id and no stack; ERROR on the server span', async () => {
    const { app, capture } = setup((a) =>
      a.get('/orders/:id', () => {
        throw new RangeError('db pool exhausted at 10.0.0.7');
      }),
    );
    const res = await request(app).get('/orders/7?token=secret').expect(500);
    const [server] = await tracing.serverSpans();
    assert.ok(server);
    const traceId = server.spanContext().traceId;
    assert.deepEqual(res.body, { error: GENERIC_500, tracking_id: traceId });
    assert.doesNotMatch(res.text, /pool|RangeError|at /);
    assert.equal(server.status.code, SpanStatusCode.ERROR);
    const onServer = server.events.filter((e) => e.name === 'exception');
    assert.equal(onServer.length, 1);
    assert.equal(onServer[0]!.attributes!['exception.type'], 'RangeError');
    // The log line carries everything the client does not see.
    const [line] = capture.lines();
    assert.deepEqual(
      { ...line, error: { ...(line!.error as object), stack: undefined } },
      {
        level: 'error',
        message: 'db pool exhausted at 10.0.0.7',
        service: 'checkout',
        tracking_id: traceId,
        request: { method: 'GET', path: '/orders/7' },
        response: { status: 500 },
        error: {
          type: 'RangeError',
          code: null,
          message: 'db pool exhausted at 10.0.0.7',
          stack: undefined,
        },
      },
    );
    assert.match(String((line!.error as { stack: string }).stack), /^RangeError: db pool/);
    // Logged through errorSpanEvents(): one error_log event, the exception not recorded twice.
    const events = eventsNamed(await tracing.spans(), 'error_log');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.span, server);
    assert.equal(events[0]!.e.attributes!['error.type'], 'RangeError');
    assert.equal(capture.lines().length, 1);
  });

  it("takes log.module and log.line from the stack's frames, never from a frame-shaped line of the message", async () => {
    const { app } = setup((a) =>
      a.get('/items/:name', (req) => {
        // A message carrying client text, as `unknown item ${name}` does.
        throw new Error(`unknown item ${req.query.name}`); // THROWN HERE
      }),
    );
    const forged = `x\n    at admin (/srv/app/auth.js:42:7)\n    at y ${' ( '.repeat(300)}:1:2`;
    await request(app).get('/items/x').query({ name: forged }).expect(500);
    const [event] = eventsNamed(await tracing.spans(), 'error_log');
    assert.ok(event);
    assert.equal(event.e.attributes!['log.module'], path.relative(process.cwd(), __filename));
    assert.equal(event.e.attributes!['log.line'], lineOf(__filename, '// THROWN HERE'));
    assert.notEqual(event.e.attributes!['log.function'], 'admin');
  });

  it("takes log.module and log.line from a stack without a header, even where the message's text is in a frame", async () => {
    const { app } = setup((a) =>
      a.get('/load', () => {
        // A stack set by hand (frames only), and a message found inside its first frame.
        const err = new Error('loadConfig');
        err.stack =
          '    at loadConfig (/srv/app/config.js:10:3)\n    at main (/srv/app/main.js:20:5)';
        throw err;
      }),
    );
    await request(app).get('/load').expect(500);
    const [event] = eventsNamed(await tracing.spans(), 'error_log');
    assert.ok(event);
    assert.equal(event.e.attributes!['log.module'], '/srv/app/config.js');
    assert.equal(event.e.attributes!['log.function'], 'loadConfig');
    assert.equal(event.e.attributes!['log.line'], 10);
  });

  it('logs the path of an absolute-form target (GET http://host/path), not the whole URL', async () => {
    const { app, capture } = setup((a) => {
      a.get('/orders/:id', () => {
        throw new Error('lost');
      });
      a.use('/files', () => {
        throw new Error('lost');
      });
    });
    const server = await listen(app);
    try {
      assert.equal(await getTarget(server.url, 'http://127.0.0.1/orders/7?token=secret'), 500);
      assert.equal(await getTarget(server.url, 'http://127.0.0.1/orders/8#frag'), 500);
      // As sent, as the access line and Express have it: dot segments are not resolved.
      assert.equal(await getTarget(server.url, 'http://127.0.0.1/files/a/../b'), 500);
    } finally {
      await server.close();
    }
    assert.deepEqual(
      capture.lines().map((l) => l.request),
      [
        { method: 'GET', path: '/orders/7' },
        { method: 'GET', path: '/orders/8' },
        { method: 'GET', path: '/files/a/../b' },
      ],
    );
  });

  it('handles a rejected async handler (Express 5) or next(err) from async code (Express 4)', async () => {
    const { app } = setup((a) =>
      a.get('/async', async (_req, _res, next) => {
        await Promise.resolve();
        const err = createError(503, 'provider down', { code: 'UPSTREAM' });
        if (version.major === 5) throw err;
        next(err);
      }),
    );
    const res = await request(app).get('/async').expect(503);
    const [server] = await tracing.serverSpans();
    assert.deepEqual(res.body, {
      error: { type: 'ServiceUnavailable', code: null, message: 'Service Unavailable' },
      tracking_id: server!.spanContext().traceId,
    });
    assert.equal(server!.status.code, SpanStatusCode.ERROR);
  });

  it('is named in a warning when mounted before every route: their errors never reach it', async () => {
    const log = testLogger(errorSpanEvents());
    const app = (build: (a: Express, handler: ErrorRequestHandler) => void) => {
      const a = createApp();
      a.set('env', 'test'); // Express's default handler prints the stack outside test
      a.use(trackingId());
      build(a, errorHandler({ logger: log.logger }));
      return a;
    };
    const routes = (a: Express) => {
      a.get('/boom', () => {
        throw new RangeError('lost');
      });
      a.get('/ok', (_req, res) => void res.send('ok'));
    };
    const early = app((a, handler) => {
      a.use(handler);
      routes(a);
    });
    const warnings = await warningsOf(
      async () => {
        await request(early).get('/boom').expect(500);
        await request(early).get('/ok').expect(200);
      },
      { code: 'AI_TEAMS_MOUNT_ORDER', afterMs: MOUNT_ORDER_WINDOW_MS + 100 },
    );
    assert.equal(warnings.length, 1, warnings.map((w) => w.message).join('\n'));
    assert.match(
      warnings[0]!.message,
      /^errorHandler\(\) is mounted before every route of its app or router \(2 routes, routers or mounted apps after it, none before\): errors those routes raise never reach it.*app\.use\(errorHandler\(\)\)\.$/,
    );
    assert.equal(log.capture.lines().length, 0); // the error went to Express's default handler

    // Last; or first with an error handler of the app's own after the routes; or after a route.
    const quiet = [
      app((a, handler) => {
        routes(a);
        a.use(handler);
      }),
      app((a, handler) => {
        a.use(handler);
        routes(a);
        a.use(((_err, _req, res, _next) => void res.status(500).end()) as ErrorRequestHandler);
      }),
      app((a, handler) => {
        a.get('/health', (_req, res) => void res.send('up'));
        a.use(handler);
        routes(a);
      }),
    ];
    const none = await warningsOf(
      async () => {
        for (const a of quiet) await request(a).get('/boom').expect(500);
      },
      { code: 'AI_TEAMS_MOUNT_ORDER', afterMs: MOUNT_ORDER_WINDOW_MS + 100 },
    );
    assert.deepEqual(
      none.map((w) => w.message),
      [],
    );
  });

  it('answers http-errors 404 and 422 with their message and code, logs at warn, leaves span status unset', async () => {
    const { app, capture } = setup((a) => {
      a.get('/missing', () => {
        throw createError(404, 'No order 7');
      });
      a.post('/orders', () => {
        throw createError(422, 'quantity must be positive', { code: 'INVALID_QUANTITY' });
      });
    });
    const missing = await request(app).get('/missing').expect(404);
    assert.deepEqual(missing.body.error, {
      type: 'NotFoundError',
      code: null,
      message: 'No order 7',
    });
    const invalid = await request(app).post('/orders').expect(422);
    assert.deepEqual(invalid.body.error, {
      type: 'UnprocessableEntityError',
      code: 'INVALID_QUANTITY',
      message: 'quantity must be positive',
    });
    assert.deepEqual(
      capture.lines().map((l) => [l.level, l.response]),
      [
        ['warn', { status: 404 }],
        ['warn', { status: 422 }],
      ],
    );
    // The express instrumentation marks its own request handler span ERROR for any throw;
    // the server span, which the handler owns, stays unset for a 4xx.
    const servers = await tracing.serverSpans();
    assert.equal(servers.length, 2);
    for (const server of servers) {
      assert.equal(server.status.code, SpanStatusCode.UNSET);
      assert.equal(server.attributes['error.type'], undefined);
      assert.deepEqual(
        server.events.map((e) => e.name),
        ['exception'],
        'the 4xx error is still recorded, without an error_log event',
      );
    }
    assert.equal(eventsNamed(await tracing.spans(), 'error_log').length, 0);
  });

  it("uses body-parser's err.type for a malformed JSON body", async () => {
    const { app } = setup((a) => a.post('/json', version.load().json(), (_req, res) => res.end()));
    const res = await request(app)
      .post('/json')
      .set('content-type', 'application/json')
      .send('{"broken"')
      .expect(400);
    assert.equal(res.body.error.type, 'entity.parse.failed');
  });

  it('handles non-Error throws: a string, an object with a status, null', async () => {
    const handler = errorHandler({ environment: 'prod' });
    const { app, capture } = setup((a) => {
      a.get('/string', () => {
        throw 'plain string';
      });
      a.get('/object', () => {
        throw { status: 409, message: 'name taken', code: 'TAKEN' };
      });
      a.get('/null', (req, res, next) => handler(null, req, res, next));
    });
    const string = await request(app).get('/string').expect(500);
    assert.deepEqual(string.body.error, GENERIC_500);
    const object = await request(app).get('/object').expect(409);
    assert.deepEqual(object.body.error, {
      type: 'UnknownError',
      code: 'TAKEN',
      message: 'name taken',
    });
    const nothing = await request(app).get('/null').expect(500);
    assert.deepEqual(nothing.body.error, GENERIC_500);
    assert.deepEqual(
      capture.lines().map((l) => [l.level, l.message, (l.error as { type: string }).type]),
      [
        ['error', 'plain string', 'UnknownError'],
        ['warn', 'name taken', 'UnknownError'],
      ],
    );
    // Ours only: the express instrumentation records its own, without exception.type.
    const exceptions = eventsNamed(await tracing.spans(), 'exception').filter(
      ({ e }) => e.attributes!['exception.type'] !== undefined,
    );
    assert.deepEqual(
      exceptions
        .map(({ e }) => [e.attributes!['exception.type'], e.attributes!['exception.message']])
        .sort(),
      [
        ['UnknownError', 'name taken'],
        ['UnknownError', 'null'],
        ['UnknownError', 'plain string'],
      ],
    );
  });

  it('shows the real message, type and stack of a 5xx in dev', async () => {
    const { app } = setup(
      (a) =>
        a.get('/dev', () => {
          throw new RangeError('db pool exhausted');
        }),
      { environment: 'development' },
    );
    const res = await request(app).get('/dev').expect(500);
    assert.equal(res.body.error.type, 'RangeError');
    assert.equal(res.body.error.message, 'db pool exhausted');
    assert.match(res.body.error.stack, /^RangeError: db pool exhausted\n\s+at /);
  });

  describe('environment from the process environment (no option)', () => {
    const saved = { ...process.env };
    afterEach(() => {
      process.env = { ...saved };
    });
    async function stackShown(env: Record<string, string>): Promise<boolean> {
      for (const name of ['DEPLOYMENT_ENVIRONMENT', 'ENVIRONMENT', 'NODE_ENV']) {
        delete process.env[name];
      }
      Object.assign(process.env, env);
      const app = createApp();
      app.get('/boom', () => {
        throw new RangeError('db pool exhausted');
      });
      app.use(errorHandler()); // the environment is read here, at start-up
      const res = await request(app).get('/boom').expect(500);
      return res.body.error.stack !== undefined;
    }

    it('hides the stack with nothing set: the default is prod', async () => {
      assert.equal(await stackShown({}), false);
    });

    it('shows it for NODE_ENV=development alone', async () => {
      assert.equal(await stackShown({ NODE_ENV: 'development' }), true);
    });

    it('hides it when DEPLOYMENT_ENVIRONMENT or ENVIRONMENT says prod, whatever NODE_ENV says', async () => {
      assert.equal(
        await stackShown({ DEPLOYMENT_ENVIRONMENT: 'prod', NODE_ENV: 'development' }),
        false,
      );
      assert.equal(await stackShown({ ENVIRONMENT: 'prod', NODE_ENV: 'development' }), false);
      assert.equal(await stackShown({ DEPLOYMENT_ENVIRONMENT: 'prod', ENVIRONMENT: 'dev' }), false);
    });
  });

  it('shows a 5xx message when the error says expose: true', async () => {
    const { app } = setup((a) =>
      a.get('/maintenance', () => {
        throw createError(503, 'back at 18:00', { expose: true, code: 'MAINTENANCE' });
      }),
    );
    const res = await request(app).get('/maintenance').expect(503);
    assert.deepEqual(res.body.error, {
      type: 'ServiceUnavailableError',
      code: 'MAINTENANCE',
      message: 'back at 18:00',
    });
  });

  it('hides a 4xx message when the error says expose: false', async () => {
    const { app } = setup((a) =>
      a.get('/lookup', () => {
        throw createError(400, 'customer 42 is in table legacy_accounts', { expose: false });
      }),
    );
    const res = await request(app).get('/lookup').expect(400);
    assert.deepEqual(res.body.error, { type: 'BadRequest', code: null, message: 'Bad Request' });
  });

  it('leaves the error in res.locals.error for an access logger', async () => {
    const thrown = new Error('x');
    let seen: unknown;
    const { app } = setup((a) => {
      a.use((_req, res, next) => {
        res.on('finish', () => (seen = res.locals.error));
        next();
      });
      a.get('/x', () => {
        throw thrown;
      });
    });
    await request(app).get('/x').expect(500);
    assert.equal(seen, thrown);
  });

  it('prefers req.trackingId for tracking_id', async () => {
    const { app } = setup((a) => {
      a.use((req, _res, next) => {
        (req as { trackingId?: string }).trackingId = 'a'.repeat(32);
        next();
      });
      a.get('/t', () => {
        throw new Error('x');
      });
    });
    const res = await request(app).get('/t').expect(500);
    assert.equal(res.body.tracking_id, 'a'.repeat(32));
  });

  it("leaves the server span of another request alone when the error comes in that request's context", async () => {
    // A pool that runs request A's callback while request B's context is current: the express
    // instrumentation makes A's span the active one, but the RPC metadata is B's.
    let exchange!: ReturnType<typeof poolRoutes>;
    const { app } = setup((a) => {
      a.use(trackingId());
      exchange = poolRoutes(a);
    });
    const server = await listen(app);
    try {
      const { a: answerA, b } = await exchange(server.url);
      assert.equal(b.status, 200);
      assert.equal(answerA.status, 500);
      await answerA.text();
      const [spanA] = await tracing.serverSpans(answerA.headers.get('x-tracking-id')!);
      const [spanB] = await tracing.serverSpans(b.headers.get('x-tracking-id')!);
      assert.equal(spanA!.status.code, SpanStatusCode.ERROR);
      assert.equal(spanB!.status.code, SpanStatusCode.UNSET, 'B answered 200');
      assert.equal(spanB!.attributes['error.type'], undefined);
      assert.deepEqual(spanB!.events, []);
    } finally {
      await server.close();
    }
  });

  it('after headers were sent: records, logs and marks the span failed, then cuts the connection without a stack on stderr', async () => {
    let delegated: unknown;
    let local: unknown;
    let ended: number | undefined;
    const thrown = new Error('mid-stream');
    const log = testLogger();
    const app = createApp();
    // Not 'test': Express's default handler would print the stack on stderr.
    app.set('env', 'production');
    app.get('/stream', (_req, res) => {
      res.on('close', () => {
        local = res.locals.error;
        ended = finalStatus(res);
      });
      res.write('partial');
      throw thrown;
    });
    app.use(errorHandler({ logger: log.logger }));
    app.use(((err, _req, _res, next) => {
      delegated = err;
      next(err);
    }) as ErrorRequestHandler);
    const stderr = await stderrOf(() =>
      rawExchange(app, { send: rawGet('/stream'), responses: 1 }),
    );
    assert.equal(stderr, '', 'the error is the JSON line only');
    assert.equal(delegated, undefined, 'answered here, as an error before the headers is');
    assert.equal(local, thrown);
    assert.equal(ended, 500, 'marked as cut by the server, for the access line and metrics');
    const [server] = await tracing.serverSpans();
    assert.ok(server);
    assert.equal(server.status.code, SpanStatusCode.ERROR);
    const [line] = log.capture.lines();
    assert.ok(line, 'the error is logged');
    assert.equal(line.level, 'error');
    assert.equal(line.message, 'mid-stream');
    assert.equal(line.tracking_id, server.spanContext().traceId);
    assert.deepEqual(line.response, { status: 200 });
  });

  it('leaves the connection alone for an error after its response finished: the next keep-alive request on it is answered', async () => {
    const log = testLogger();
    const app = createApp();
    app.set('env', 'production');
    let late!: () => void;
    const lateErrorHandled = new Promise<void>((resolve) => (late = resolve));
    app.get('/first', (_req, res, next) => {
      res.send('done');
      // Reported after the response went out, while the connection serves /second.
      setTimeout(() => {
        next(new Error('late'));
        late();
      }, 50);
    });
    app.get('/second', (_req, res) => {
      setTimeout(() => res.send('second'), 200);
    });
    app.use(errorHandler({ logger: log.logger }));
    const server = await listen(app);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) =>
      new Promise<string>((resolve, reject) =>
        http
          .get(`${server.url}${path}`, { agent }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c));
            res.on('end', () => resolve(`${res.statusCode} ${body}`));
          })
          .on('error', reject),
      );
    try {
      assert.equal(await get('/first'), '200 done');
      const second = get('/second');
      await lateErrorHandled;
      assert.equal(await second, '200 second');
    } finally {
      agent.destroy();
      await server.close();
    }
    const [line] = log.capture.lines();
    assert.equal(line?.message, 'late', 'the error is still logged');
  });

  it('cuts a queued pipelined response when its turn comes, before its bytes go out, and leaves one the app had ended', async () => {
    for (const ended of [false, true]) {
      const { app, statuses } = pipelinedApp();
      app.set('env', 'production');
      app.get('/partial', (_req, res, next) => {
        if (ended) res.end('whole');
        else res.write('part-');
        setTimeout(() => next(new Error('late')), 20); // while /slow still holds the connection
      });
      app.get('/c', (_req, res) => {
        res.send('c');
      });
      app.use(errorHandler({ logger: testLogger().logger }));
      const received = await rawExchange(app, {
        send: rawGet('/slow') + rawGet('/partial') + rawGet('/c'),
        responses: 3,
        client: ended ? (socket) => setTimeout(() => socket.end(), 400) : undefined,
      });
      if (ended) {
        assert.equal(received.match(/HTTP\/1\.1 200 OK/g)?.length, 3, received);
        assert.match(received, /whole/);
        assert.deepEqual(statuses, { '/slow': 200, '/partial': 200, '/c': 200 });
      } else {
        assert.equal(received.match(/HTTP\/1\.1 /g)?.length, 1, received);
        assert.match(received, /slow$/);
        assert.deepEqual(statuses, { '/slow': 200, '/partial': 500, '/c': 500 });
      }
    }
  });

  it('takes an error that follows the client leaving mid-download as the client closing, not a cut', async () => {
    // res.sendFile() reports a client that left as `Error: Request aborted` (ECONNABORTED),
    // through next(err), before the response's 'close': that is no server failure.
    const file = path.join(os.tmpdir(), `ese-download-${process.pid}.bin`);
    await writeFile(file, Buffer.alloc(8 * 1024 * 1024, 97));
    try {
      let ended: number | undefined;
      let delegated: unknown;
      const log = testLogger();
      const app = createApp();
      app.set('env', 'production');
      app.get('/download', (_req, res, next) => {
        res.on('close', () => (ended = finalStatus(res)));
        res.sendFile(file, (err) => err && next(err));
      });
      app.use(errorHandler({ logger: log.logger }));
      app.use(((err, _req, _res, next) => {
        delegated = err;
        next(err);
      }) as ErrorRequestHandler);
      const stderr = await stderrOf(() =>
        rawExchange(app, {
          send: rawGet('/download'),
          responses: 1,
          client: (socket) => socket.once('data', () => socket.destroy()),
        }),
      );
      assert.equal(stderr, '');
      assert.equal(delegated, undefined);
      assert.equal(ended, 499, 'the client closed: not marked as cut by the server');
      const [line] = log.capture.lines();
      assert.ok(line, 'the error is still logged');
      assert.equal(line.level, 'warn');
    } finally {
      await rm(file, { force: true });
    }
  });

  it('takes an error that follows the client leaving a queued streamed response as the client closing, not a cut', async () => {
    // A queued response the app streams to has headers "sent" (written to the response, not to
    // the connection). When the client goes, Node (24.16+; closeWhenConnectionCloses() before)
    // destroys it with its own ECONNRESET, and pipeline() hands that to next(err): the client
    // leaving, as finalStatus() reads it (499), not a failure of the server.
    const log = testLogger();
    const { app, statuses } = pipelinedApp(300);
    app.get('/stream', (_req, res, next) => {
      let n = 0;
      const rows = new Readable({
        read() {
          setTimeout(() => this.push(n++ < 50 ? 'row;' : null), 20);
        },
      });
      pipeline(rows, res, (err) => err && next(err));
    });
    app.use(errorHandler({ logger: log.logger, environment: 'prod' }));
    tracing.reset();
    await rawExchange(app, {
      send: rawGet('/slow') + rawGet('/stream'),
      responses: 2,
      client: (socket) => setTimeout(() => socket.destroy(), 100),
    });
    await new Promise((resolve) => setTimeout(resolve, 50)); // the error reaches the handler
    assert.deepEqual(statuses, { '/slow': 499, '/stream': 499 });
    const stream = (await tracing.serverSpans()).find(
      (s) => s.attributes['url.path'] === '/stream',
    );
    assert.ok(stream);
    assert.notEqual(stream.status.code, SpanStatusCode.ERROR);
    const lines = log.capture.lines();
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.equal(lines[0]!.level, 'warn', 'the client left');
  });

  it('answers nothing to a client that left before the answer (an abandoned upload): the span, the line and the metrics agree on 499', async () => {
    // multer (busboy) and body-parser (raw-body) hand a client's abandoning its request body to
    // next(err) on the request's 'aborted', before the response's 'close'. There is no one to
    // answer: an answer would set res.statusCode, read by the http instrumentation for the
    // server span (500, ERROR), while finalStatus() reads 499 for the access line and metrics.
    let ended: number | undefined;
    const log = testLogger();
    const app = createApp();
    app.post('/upload', (req, res, next) => {
      res.on('close', () => (ended = finalStatus(res)));
      req.on('aborted', () => next(new Error('Request aborted'))); // multer's words
      req.resume();
    });
    app.use(errorHandler({ logger: log.logger, environment: 'prod' }));
    const stderr = await stderrOf(() =>
      rawExchange(app, {
        send:
          'POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n' +
          'x'.repeat(100),
        responses: 1,
        client: (socket) => setTimeout(() => socket.destroy(), 50),
      }),
    );
    assert.equal(stderr, '');
    assert.equal(ended, 499, 'the client closed');
    const [server] = await tracing.serverSpans();
    assert.ok(server);
    assert.notEqual(server.attributes['http.response.status_code'], 500);
    assert.notEqual(server.status.code, SpanStatusCode.ERROR);
    assert.equal(eventsNamed([server], 'exception').length, 1, 'the error is still recorded');
    const [line] = log.capture.lines();
    assert.ok(line, 'the error is still logged');
    assert.equal(line.level, 'warn');
    assert.deepEqual(line.response, { status: 499 });
  });

  it('answers nothing to a queued pipelined response the app destroyed before next(err): the span, the line and the metrics agree', async () => {
    // A queued response has no socket yet: res.destroy() leaves the connection as it is, so the
    // connection's state alone does not tell that no answer can go out. One written anyway sets
    // res.statusCode (500) for the server span, while finalStatus() reads 499 (a bare destroy),
    // as it does for the same error on a response in flight.
    const log = testLogger();
    const { app, statuses } = pipelinedApp();
    app.get('/fail', (_req, res, next) => {
      setTimeout(() => {
        res.destroy(); // while /slow still holds the connection
        next(new Error('gave up'));
      }, 20);
    });
    app.use(errorHandler({ logger: log.logger, environment: 'prod' }));
    const received = await rawExchange(app, {
      send: rawGet('/slow') + rawGet('/fail'),
      responses: 2,
      client: (socket) => setTimeout(() => socket.end(), 400),
    });
    assert.doesNotMatch(received, /HTTP\/1\.1 500/, received);
    assert.deepEqual(statuses, { '/slow': 200, '/fail': 499 });
    const failed = (await tracing.serverSpans()).find((s) => s.attributes['url.path'] === '/fail');
    assert.ok(failed);
    assert.notEqual(failed.attributes['http.response.status_code'], 500);
    assert.notEqual(failed.status.code, SpanStatusCode.ERROR);
    const [line] = log.capture.lines();
    assert.ok(line, 'the error is still logged');
    assert.equal(line.level, 'warn');
    assert.deepEqual(line.response, { status: 499 });
  });

  it('answers JSON and logs for thrown values whose properties throw when read', async () => {
    const failing = withThrowingGetter(
      new Error('status getter'),
      'status',
      'status getter failed',
    );
    const lazy = withThrowingGetter({ status: 502 }, 'message', 'lazy message failed');
    const proxy = revokedProxy();
    const { app, capture } = setup((a) => {
      a.get('/lazy', () => {
        throw lazy;
      });
      a.get('/status', () => {
        throw failing;
      });
      a.get('/proxy', () => {
        throw proxy;
      });
    });
    const lazyRes = await request(app).get('/lazy').expect(502).expect('content-type', /json/);
    assert.equal(lazyRes.body.error.type, 'BadGateway');
    assert.match(lazyRes.body.tracking_id, /^[0-9a-f]{32}$/);
    const statusRes = await request(app).get('/status').expect(500).expect('content-type', /json/);
    assert.deepEqual(statusRes.body.error, GENERIC_500);
    const proxyRes = await request(app).get('/proxy').expect(500).expect('content-type', /json/);
    assert.deepEqual(proxyRes.body.error, GENERIC_500);
    const lines = capture.lines();
    assert.deepEqual(
      lines.map((l) => [l.level, (l.response as { status: number }).status]),
      [
        ['error', 502],
        ['error', 500],
        ['error', 500],
      ],
    );
    assert.deepEqual(
      lines.slice(0, 2).map((l) => l.message),
      ['[object Object]', 'status getter'],
    );
    // The revoked proxy: 'Unknown error', or the TypeError the express instrumentation's own
    // instanceof check throws in its place.
    assert.match(String(lines[2]!.message), /^Unknown error$|revoked/);
  });

  it("takes err.status, else err.statusCode, as numbers 400-599, as Express's own handler does", async () => {
    const { app } = setup((a) => {
      a.get('/fallback', () => {
        throw Object.assign(new Error('gone'), { status: 200, statusCode: 404 });
      });
      a.get('/string', () => {
        throw Object.assign(new Error('text status'), { status: '404' });
      });
    });
    await request(app).get('/fallback').expect(404);
    await request(app).get('/string').expect(500);
  });

  it('answers with the trace id of a sampled-out request, without tracking-id', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const { app } = setup((a) =>
      a.get('/x', () => {
        throw new Error('x');
      }),
    );
    const res = await request(app)
      .get('/x')
      .set('traceparent', `00-${traceId}-00f067aa0ba902b7-00`)
      .expect(500);
    assert.equal(res.body.tracking_id, traceId);
    assert.equal((await tracing.spans()).length, 0, 'sampled out: no span exported');
  });

  it("cuts a 4xx's own type and code, which the answer echoes", async () => {
    const { app } = setup((a) =>
      a.get('/bad', () => {
        throw Object.assign(createError(400, 'bad input'), {
          type: 't'.repeat(1_000_000),
          code: 'c'.repeat(1_000_000),
        });
      }),
    );
    const res = await request(app).get('/bad').expect(400);
    assert.equal(res.body.error.message, 'bad input');
    assert.equal(res.body.error.type.length, 256);
    assert.equal(res.body.error.code.length, 256);
    assert.ok(res.text.length < 1024, `${res.text.length} bytes`);
  });

  it('cuts a long message without splitting a surrogate pair', async () => {
    const { app } = setup(
      (a) =>
        a.get('/emoji', () => {
          throw new Error('ab\u{1F600}cd');
        }),
      { environment: 'development', maxMessageLength: 4 },
    );
    const res = await request(app).get('/emoji').expect(500);
    assert.equal(res.body.error.message, 'ab…');
  });

  it('still answers when the logger throws', async () => {
    const logger = {
      error: () => {
        throw new Error('logger broken');
      },
      warn: () => undefined,
    };
    const { app } = setup(
      (a) =>
        a.get('/x', () => {
          throw new Error('x');
        }),
      { logger },
    );
    const res = await request(app).get('/x').expect(500);
    assert.deepEqual(res.body.error, GENERIC_500);
  });
});

describe('errorHandler() options and no SDK', () => {
  after(() => enableTestTracing());

  it('rejects a logger without error/warn, naming the option', () => {
    assert.throws(() => errorHandler({ logger: {} as never }), /option "logger" must have error/);
  });

  it('answers tracking_id null without the SDK or a tracking id', async () => {
    disableTestTracing();
    const app = require('express')() as Express;
    app.get('/x', () => {
      throw new Error('x');
    });
    app.use(errorHandler({ environment: 'prod' }));
    const res = await request(app).get('/x').expect(500);
    assert.deepEqual(res.body, { error: GENERIC_500, tracking_id: null });
  });
});
