import assert from 'node:assert/strict';
import http from 'node:http';
import request from 'supertest';
import type { Express } from 'express';
import {
  captureLines,
  describeExpress,
  getTarget,
  listen,
  tick,
  misplacedMountWarnings,
  warningsOf,
  type LineCapture,
} from '@ai-teams/test-utils';
import * as winston from 'winston';
import Transport from 'winston-transport';
import { MOUNT_ORDER_WINDOW_MS, markServerCut, trackingId } from '@ai-teams/tracking-id';
import { capturedLogger } from './helpers';
import { createLogger, requestLogger } from '../src';
import { SHARED_ACCESS_KEYS, sharedAccessKeys } from '../src/logger';

const setup = () => capturedLogger();

/** Waits until the server has handled the response's finish/close. */
async function settled() {
  await tick();
  await tick();
}

/**
 * Serves `app` on loopback, lets `client(url)` send a request it walks away from, and returns
 * once the server has closed that response and written what it writes then.
 */
async function clientLeaves(app: Express, client: (url: string) => void): Promise<void> {
  const server = await listen(app);
  try {
    const closed = new Promise<void>((resolve) =>
      server.server.once('request', (_req, res) => res.once('close', () => resolve())),
    );
    client(server.url);
    await closed;
    await settled();
  } finally {
    await server.close();
  }
  await settled();
}

/** A client that drops the response at its first chunk. */
const dropAtFirstChunk = (path: string) => (url: string) => {
  const req = http.get(`${url}${path}`, (res) => res.once('data', () => req.destroy()));
  req.on('error', () => {});
};

describeExpress('requestLogger()', (createApp, version) => {
  it('writes one access line with request and response objects', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.post('/api/v1/sessions/:id', version.load().json(), (_req, res) => {
      res.status(201).json({ created: true });
    });
    await request(app)
      .post('/api/v1/sessions/42?debug=1')
      .set('User-Agent', 'test-agent/1.0')
      .send({ hello: 'world' })
      .expect(201);
    await settled();
    const lines = out.lines();
    assert.equal(lines.length, 1, 'one line although finish and close both fire');
    const l = lines[0]!;
    assert.equal(l['@message'], 'POST /api/v1/sessions/42 - 201');
    assert.equal(l['@level'], 'INFO');
    assert.equal(l.service, 'api-gateway');
    const req = l.request as Record<string, unknown>;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/api/v1/sessions/42');
    assert.equal(req.route, '/api/v1/sessions/:id');
    assert.equal(req.size, Buffer.byteLength(JSON.stringify({ hello: 'world' })));
    assert.equal(req.user_agent, 'test-agent/1.0');
    assert.match(String(req.ip), /127\.0\.0\.1/);
    assert.equal(typeof req.duration, 'number');
    assert.ok((req.duration as number) >= 0 && (req.duration as number) < 5);
    assert.deepEqual(l.response, {
      status: 201,
      size: Buffer.byteLength(JSON.stringify({ created: true })),
      content_type: 'application/json; charset=utf-8',
    });
  });

  it('writes size 0 for a body Node does not send: HEAD, 204, 304', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.get('/stream', (_req, res) => {
      res.type('text/plain');
      for (let i = 0; i < 20; i++) res.write('x'.repeat(100));
      res.end();
    });
    app.get('/doc', (_req, res) => {
      res.set('ETag', '"v1"').send('y'.repeat(300));
    });
    app.get('/empty', (_req, res) => {
      res.writeHead(204);
      res.end('z'.repeat(20)); // dropped by Node
    });
    await request(app).get('/stream').expect(200);
    await request(app).head('/stream').expect(200);
    await request(app).head('/doc').expect(200);
    await request(app).get('/doc').set('If-None-Match', '"v1"').expect(304);
    await request(app).get('/empty').expect(204);
    await settled();
    assert.deepEqual(
      out.lines().map((l) => [l['@message'], (l.response as { size: number }).size]),
      [
        ['GET /stream - 200', 2000],
        ['HEAD /stream - 200', 0],
        ['HEAD /doc - 200', 0],
        ['GET /doc - 304', 0],
        ['GET /empty - 204', 0],
      ],
    );
  });

  it('takes request.ip from X-Forwarded-For only when Express trusts the proxy', async () => {
    const { out, logger } = setup();
    const trusting = createApp();
    trusting.set('trust proxy', true);
    const plain = createApp();
    for (const app of [trusting, plain]) {
      app.use(requestLogger({ logger }));
      app.get('/ip', (_req, res) => res.send('ok'));
    }
    await request(trusting).get('/ip').set('X-Forwarded-For', '203.0.113.7');
    await request(plain).get('/ip').set('X-Forwarded-For', '203.0.113.7');
    await request(trusting).get('/ip');
    await settled();
    const ips = out.lines().map((l) => String((l.request as Record<string, unknown>).ip));
    assert.equal(ips[0], '203.0.113.7');
    assert.match(ips[1]!, /127\.0\.0\.1/);
    assert.match(ips[2]!, /127\.0\.0\.1/);
  });

  it('logs 5xx at error, 4xx at warn, others at info', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.get('/status/:code', (req, res) => {
      res.status(Number(req.params.code)).send('x');
    });
    for (const code of [200, 302, 404, 503]) await request(app).get(`/status/${code}`);
    await settled();
    assert.deepEqual(
      out.lines().map((l) => [l['@message'], l['@level']]),
      [
        ['GET /status/200 - 200', 'INFO'],
        ['GET /status/302 - 302', 'INFO'],
        ['GET /status/404 - 404', 'WARN'],
        ['GET /status/503 - 503', 'ERROR'],
      ],
    );
  });

  it('leaves out access lines below the level (prod: warn)', async () => {
    const { out, logger } = capturedLogger({ service: 's', environment: 'prod' });
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.get('/status/:code', (req, res) => {
      res.status(Number(req.params.code)).send('x');
    });
    for (const code of [200, 404]) await request(app).get(`/status/${code}`);
    await settled();
    assert.deepEqual(
      out.lines().map((l) => l['@message']),
      ['GET /status/404 - 404'],
    );
  });

  it('takes a custom level function and skip list', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use(requestLogger({ logger, skip: ['/health', /^\/internal\//], levelFor: () => 'debug' }));
    app.get('/health', (_req, res) => res.send('ok'));
    app.get('/internal/x', (_req, res) => res.send('ok'));
    app.get('/metrics', (_req, res) => res.send('ok'));
    await request(app).get('/health?full=1');
    await request(app).get('/internal/x');
    await request(app).get('/metrics');
    await settled();
    assert.deepEqual(
      out.lines().map((l) => [l['@message'], l['@level']]),
      [['GET /metrics - 200', 'DEBUG']],
    );
  });

  it('logs a request whose skip function throws, with one warning, instead of failing it', async () => {
    const { logger, out } = setup();
    const app = createApp();
    app.use(requestLogger({ logger, skip: (req) => req.get('x-probe')!.startsWith('k8s') }));
    app.get('/x', (_req, res) => {
      res.send('ok');
    });
    const warnings = await warningsOf(
      async () => {
        await request(app).get('/x').expect(200); // no x-probe: the function throws
        await request(app).get('/x').expect(200);
        await request(app).get('/x').set('x-probe', 'k8s').expect(200);
      },
      { code: 'AI_TEAMS_LOG_SKIP' },
    );
    await settled();
    assert.deepEqual(
      out.lines().map((l) => l['@message']),
      ['GET /x - 200', 'GET /x - 200'],
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.message, /^requestLogger\(\): option "skip" threw \(Cannot read/);
  });

  it('skips /health and /metrics by default', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.get('/health', (_req, res) => res.send('ok'));
    app.get('/metrics', (_req, res) => res.send('ok'));
    await request(app).get('/health');
    await request(app).get('/metrics');
    await settled();
    assert.equal(out.raw().length, 0);
  });

  it('reads an absolute-form target (GET http://host/path) as its path: skipped, and logged by path', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.get('/health', (_req, res) => res.send('ok'));
    app.get('/hello', (_req, res) => res.send('hi'));
    const server = await listen(app);
    try {
      assert.equal(await getTarget(server.url, 'http://127.0.0.1/health'), 200);
      assert.equal(await getTarget(server.url, 'http://127.0.0.1/hello?q=1'), 200);
    } finally {
      await server.close();
    }
    await settled();
    const lines = out.lines();
    assert.deepEqual(
      lines.map((l) => l['@message']),
      ['GET /hello - 200'],
    );
    assert.equal((lines[0]!.request as { path: string }).path, '/hello');
  });

  it('logs a handler that throws as a 500 at error level', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.get('/boom', () => {
      throw new Error('handler failed');
    });
    app.set('env', 'test'); // Express's default handler prints the stack outside test
    await request(app).get('/boom').expect(500);
    await settled();
    const lines = out.lines();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!['@message'], 'GET /boom - 500');
    assert.equal(lines[0]!['@level'], 'ERROR');
  });

  it('keeps the full route template on lines of errors, whichever handler answers', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.set('env', 'test'); // Express's default handler prints the stack outside test
    app.use(requestLogger({ logger }));
    const router = version.load().Router();
    router.get('/sessions/:id', () => {
      throw new Error('nested');
    });
    app.use('/api/v1', router);
    app.get('/top/:id', () => {
      throw new Error('top');
    });
    const handled = createApp();
    handled.use(requestLogger({ logger }));
    handled.use('/api/v1', router);
    handled.use((_err: Error, _req: unknown, res: import('express').Response, _next: unknown) => {
      res.status(500).json({ error: 'x' });
    });
    // The mounts are unwound by the time the error reaches a handler: Express's own (req.baseUrl
    // then undefined) or the app's (req.baseUrl then the parent's).
    await request(app).get('/api/v1/sessions/1').expect(500);
    await request(app).get('/top/2').expect(500);
    await request(handled).get('/api/v1/sessions/3').expect(500);
    await settled();
    assert.deepEqual(
      out.lines().map((l) => (l.request as { route?: string }).route),
      ['/api/v1/sessions/:id', '/top/:id', '/api/v1/sessions/:id'],
    );
  });

  it('writes access lines after logger.end(), as other lines', async () => {
    const { out, logger } = capturedLogger();
    const finished = new Promise((resolve) => logger.on('finish', resolve));
    logger.end();
    await finished;
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.get('/x', (_req, res) => {
      res.send('ok');
    });
    await request(app).get('/x').expect(200);
    await settled();
    assert.deepEqual(
      out.lines().map((l) => l['@message']),
      ['GET /x - 200'],
    );
  });

  it("writes request.route as otel-metrics' endpoint: router root, path arrays, RegExps", async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use(requestLogger({ logger }));
    const router = version.load().Router();
    router.get('/', (_req, res) => {
      res.end();
    });
    app.use('/api', router);
    app.get(['/p1/:id', '/p2/:id'], (_req, res) => {
      res.end();
    });
    app.get(/^\/re\/\d+$/, (_req, res) => {
      res.end();
    });
    const v2 = version.load().Router();
    v2.get(/^\/reports\/(\d+)$/, (_req, res) => {
      res.end();
    });
    v2.get(['/a1', '/a2'], (_req, res) => {
      res.end();
    });
    app.use('/api/v2', v2);
    await request(app).get('/api').expect(200);
    await request(app).get('/p2/7').expect(200);
    await request(app).get('/re/42').expect(200);
    await request(app).get('/api/v2/reports/42').expect(200);
    await request(app).get('/api/v2/a2').expect(200);
    await settled();
    assert.deepEqual(
      out.lines().map((l) => (l.request as { route?: string }).route),
      [
        '/api',
        '/p1/:id,/p2/:id',
        'regex(^\\/re\\/\\d+$)',
        '/api/v2/regex(^\\/reports\\/(\\d+)$)',
        '/api/v2/a1,/api/v2/a2',
      ],
    );
  });

  it('writes request.route of a mount with a parameter by its template on Express 5, on a failed request too', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.set('env', 'test');
    app.use(requestLogger({ logger }));
    app.get('/first', (_req, res) => {
      res.end();
    });
    const users = version.load().Router();
    users.get('/users/:id', (_req, res) => {
      res.end();
    });
    users.get('/fail', () => {
      throw new Error('inside a mount with a parameter');
    });
    app.use('/t/:tenant', users);
    // The accessors are installed on the first request of an Express copy.
    await request(app).get('/first').expect(200);
    await request(app).get('/t/acme/users/7').expect(200);
    await request(app).get('/t/acme/fail').expect(500);
    await settled();
    const routes = out.lines().map((l) => (l.request as { route?: string }).route);
    // Express 4 sets req.baseUrl before a request has Express's prototype: its matched text.
    const tenant = version.major === 5 ? ':tenant' : 'acme';
    assert.deepEqual(routes, ['/first', `/t/${tenant}/users/:id`, `/t/${tenant}/fail`]);
  });

  it("writes a child logger's fields on its access lines", async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use(requestLogger({ logger: logger.child({ component: 'http' }) }));
    app.get('/c', (_req, res) => {
      res.send('ok');
    });
    await request(app).get('/c').expect(200);
    await settled();
    assert.equal(out.lines()[0]!.component, 'http');
  });

  it('writes tracking_id on the access lines of a winston logger of your own, and none of its symbols', async () => {
    const json = captureLines();
    const pretty = captureLines();
    const own = (format: winston.Logform.Format, stream: LineCapture['stream']) =>
      winston.createLogger({ format, transports: [new winston.transports.Stream({ stream })] });
    const app = createApp();
    app.use(trackingId());
    app.use(requestLogger({ logger: own(winston.format.json(), json.stream) }));
    // prettyPrint() prints symbol keys (util.inspect), one property a line.
    app.use(requestLogger({ logger: own(winston.format.prettyPrint(), pretty.stream) }));
    app.get('/o', (_req, res) => {
      res.send('ok');
    });
    const res = await request(app).get('/o').expect(200);
    await settled();
    const [line] = json.lines();
    assert.equal(line!.message, 'GET /o - 200');
    assert.equal(line!.tracking_id, res.headers['x-tracking-id']);
    const printed = pretty.raw().join('\n');
    assert.match(printed, /tracking_id: '[0-9a-f]{32}'/);
    assert.doesNotMatch(printed, /tracking-id\.request-id/, 'no symbol key printed');
  });

  it('includes the error an error handler leaves in res.locals.error', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.get('/fail', () => {
      throw Object.assign(new Error('db timeout'), { code: 'ETIMEDOUT' });
    });
    app.use((err: Error, _req: unknown, res: import('express').Response, _next: unknown) => {
      res.locals.error = err;
      res.status(504).json({ error: 'timeout' });
    });
    await request(app).get('/fail').expect(504);
    await settled();
    const l = out.lines()[0]!;
    assert.deepEqual(l.error, {
      type: 'Error',
      code: 'ETIMEDOUT',
      message: 'db timeout',
      category: 'timeout',
    });
  });

  it('writes the line once when the client aborts mid-response', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.get('/stream', (_req, res) => {
      res.status(200).type('text/plain');
      res.write('first chunk;');
      // never ends: the client goes away
    });
    await clientLeaves(app, dropAtFirstChunk('/stream'));
    const lines = out.lines();
    assert.equal(lines.length, 1);
    const l = lines[0]!;
    assert.equal(l['@message'], 'GET /stream - 499');
    assert.equal(l['@level'], 'WARN');
    // Read before the socket was destroyed: a gone client's address is still known.
    assert.equal((l.request as { ip?: string }).ip, '127.0.0.1');
    assert.deepEqual(l.response, {
      status: 499,
      size: Buffer.byteLength('first chunk;'),
      content_type: 'text/plain; charset=utf-8',
      aborted: true,
      status_sent: 200,
    });
  });

  it('writes the status sent, at its level, for an event stream its client closed', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.get('/events', (_req, res) => {
      res.set('Content-Type', 'text/event-stream').set('Cache-Control', 'no-cache');
      res.write('data: first\n\n');
      // Server-Sent Events: open until the client closes it
    });
    await clientLeaves(app, dropAtFirstChunk('/events'));
    const lines = out.lines();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!['@message'], 'GET /events - 200');
    assert.equal(lines[0]!['@level'], 'INFO');
    assert.deepEqual(lines[0]!.response, {
      status: 200,
      size: Buffer.byteLength('data: first\n\n'),
      content_type: 'text/event-stream; charset=utf-8',
      aborted: true,
      status_sent: 200,
    });
  });

  it('writes 499, as the metrics count it, for a request the client left before any answer', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.post('/upload', (req) => {
      req.resume(); // reads a body that never ends
    });
    await clientLeaves(app, (url) => {
      const req = http.request(`${url}/upload`, {
        method: 'POST',
        headers: { 'content-length': '1000' },
      });
      req.on('error', () => {});
      req.write('x'.repeat(100), () => setTimeout(() => req.destroy(), 20));
    });
    const [l] = out.lines();
    assert.equal(l!['@message'], 'POST /upload - 499');
    assert.equal(l!['@level'], 'WARN');
    assert.equal((l!.request as { ip?: string }).ip, '127.0.0.1');
    assert.deepEqual(l!.response, { status: 499, size: 0, aborted: true });
  });

  it('writes the line of a request whose client left while a middleware before it waited', async () => {
    const { out, logger } = setup();
    const app = createApp();
    let reached!: () => void;
    const passed = new Promise<void>((resolve) => (reached = resolve));
    app.use((_req, res, next) => {
      // An auth or cache lookup that outlasts the client.
      const wait = () => (res.closed ? (next(), reached()) : setTimeout(wait, 5));
      wait();
    });
    app.use(requestLogger({ logger }));
    app.get('/slow', (_req, res) => {
      res.send('too late');
    });
    await clientLeaves(app, (url) => {
      const req = http.get(`${url}/slow`);
      req.on('error', () => {});
      setTimeout(() => req.destroy(), 20);
    });
    await passed;
    await settled();
    const lines = out.lines();
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.equal(lines[0]!['@message'], 'GET /slow - 499');
  });

  it('writes 500 at error, not 499, for a response the app failed after its headers', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.get('/report', (_req, res, next) => {
      res.type('text/plain').write('first rows;');
      setTimeout(() => next(new Error('database went away')), 10);
    });
    // As errorHandler() of error-span-events does; Express then cuts the connection.
    app.use(((err, _req, res, next) => {
      res.locals.error = err;
      markServerCut(res);
      next(err);
    }) as import('express').ErrorRequestHandler);
    await clientLeaves(app, (url) => {
      // This client reads to the end: the server is the one that cuts.
      http.get(`${url}/report`, (res) => res.resume().on('error', () => {})).on('error', () => {});
    });
    const [l] = out.lines();
    assert.equal(l!['@message'], 'GET /report - 500');
    assert.equal(l!['@level'], 'ERROR');
    assert.deepEqual(l!.response, {
      status: 500,
      size: Buffer.byteLength('first rows;'),
      content_type: 'text/plain; charset=utf-8',
      aborted: true,
      status_sent: 200,
    });
    assert.equal((l!.error as { message: string }).message, 'database went away');
  });

  it('writes a response the server cut before its headers at error, whatever levelFor says of its 500', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use(requestLogger({ logger, levelFor: () => 'info' }));
    app.get('/draining', (_req, res) => {
      markServerCut(res); // as a shutdown does before it closes the connection: statusCode 500
      res.destroy();
    });
    await clientLeaves(app, (url) => {
      http.get(`${url}/draining`).on('error', () => {});
    });
    const [l] = out.lines();
    assert.equal(l!['@message'], 'GET /draining - 500');
    assert.equal(l!['@level'], 'ERROR', 'the server cut it: an error, as the README says');
  });

  it('keeps the level of the status the app set when the client leaves a 500 mid-response', async () => {
    const { out, logger } = setup();
    const app = createApp();
    const seen: number[] = [];
    const levelFor = (status: number) => {
      seen.push(status);
      return status >= 500 ? 'error' : 'info';
    };
    app.use(requestLogger({ logger, levelFor }));
    app.get('/report', (_req, res) => {
      res.status(500).type('text/plain');
      res.write('partial;');
    });
    await clientLeaves(app, dropAtFirstChunk('/report'));
    const [l] = out.lines();
    assert.deepEqual(seen, [500], 'levelFor gets the status the app set');
    assert.equal(l!['@level'], 'ERROR');
    assert.equal(l!['@message'], 'GET /report - 499');
    assert.equal((l!.response as { status_sent: number }).status_sent, 500);
  });

  it('removes its listeners once the line is written', async () => {
    const { out, logger } = setup();
    const app = createApp();
    type Res = import('express').Response;
    const all = (res: Res) => [...res.listeners('finish'), ...res.listeners('close')];
    let before = new Set<unknown>();
    let ours: unknown[] = [];
    let response!: Res;
    app.use((_req, res, next) => {
      before = new Set(all(res));
      next();
    });
    app.use(requestLogger({ logger }));
    app.use((_req, res, next) => {
      response = res;
      ours = all(res).filter((l) => !before.has(l));
      next();
    });
    app.get('/x', (_req, res) => res.send('ok'));
    await request(app).get('/x');
    await settled();
    assert.equal(out.raw().length, 1);
    assert.equal(ours.length, 1, 'one close listener while the request runs');
    assert.deepEqual(
      all(response).filter((l) => ours.includes(l)),
      [],
    );
  });

  it('writes one line when the same requestLogger() is mounted on the app and a router', async () => {
    const { out, logger } = setup();
    const app = createApp();
    const log = requestLogger({ logger });
    const router = version.load().Router();
    router.use(log);
    router.get('/items/:id', (_req, res) => {
      res.write('ab');
      res.end('cde');
    });
    app.use(log);
    app.use('/api', router);
    await request(app).get('/api/items/1').expect(200);
    await settled();
    const lines = out.lines();
    assert.equal(lines.length, 1);
    const response = lines[0]!.response as Record<string, unknown>;
    assert.equal(response.size, 5);
    assert.equal((lines[0]!.request as Record<string, unknown>).route, '/api/items/:id');
  });

  it('keeps the one-line-per-service mark for at most 1000 service names of a stream', async () => {
    const out = captureLines();
    const loggers = Array.from({ length: 3000 }, (_, i) =>
      createLogger({ service: `tenant-${i}`, stream: out.stream, sync: true, env: {} }),
    );
    assert.equal(sharedAccessKeys(out.stream), SHARED_ACCESS_KEYS);
    assert.equal(SHARED_ACCESS_KEYS, 1000);
    // A name past the bound still writes its line, once per requestLogger().
    const app = createApp();
    app.use(requestLogger({ logger: loggers[0]! }));
    app.use(requestLogger({ logger: loggers[2999]! }));
    app.get('/x', (_req, res) => {
      res.send('x');
    });
    await request(app).get('/x').expect(200);
    await settled();
    assert.deepEqual(
      out.lines().map((l) => l.service),
      ['tenant-0', 'tenant-2999'],
    );
  });

  it('writes one line per service and stream when an app and its mounted sub-app each have requestLogger()', async () => {
    const { out, logger } = setup();
    // The sub-app was set up in full on its own, with a logger of its own for the same service.
    const subLogger = createLogger({
      service: 'api-gateway',
      stream: out.stream,
      sync: true,
      env: {},
    });
    const otherService = createLogger({
      service: 'billing',
      stream: out.stream,
      sync: true,
      env: {},
    });
    const file = captureLines(); // the same service to a second destination
    const otherStream = createLogger({
      service: 'api-gateway',
      stream: file.stream,
      sync: true,
      env: {},
    });
    const app = createApp();
    app.use(requestLogger({ logger }));
    const sub = createApp();
    sub.use(requestLogger({ logger: subLogger.child({ module: 'v2' }) }));
    sub.use(requestLogger({ logger: otherService }));
    sub.use(requestLogger({ logger: otherStream }));
    sub.get('/items/:id', (_req, res) => {
      res.send('item');
    });
    app.use('/v2', sub);
    await request(app).get('/v2/items/1').expect(200);
    await settled();
    assert.deepEqual(
      out.lines().map((l) => [l.service, l['@message'], (l.request as { route?: string }).route]),
      [
        ['api-gateway', 'GET /v2/items/1 - 200', '/v2/items/:id'],
        ['billing', 'GET /v2/items/1 - 200', '/v2/items/:id'],
      ],
    );
    assert.deepEqual(
      file.lines().map((l) => l['@message']),
      ['GET /v2/items/1 - 200'],
    );
  });

  it('keeps a detached res.write() working, and counts what it wrote', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use((_req, res, next) => {
      res.write = res.write.bind(res) as typeof res.write;
      next();
    });
    app.use(requestLogger({ logger }));
    app.get('/x', (_req, res) => {
      const write = res.write as (chunk: string) => boolean;
      write('ab');
      res.end('cde');
    });
    const res = await request(app).get('/x').expect(200);
    await settled();
    assert.equal(res.text, 'abcde');
    assert.equal((out.lines()[0]!.response as Record<string, unknown>).size, 5);
  });

  it('still writes a line when levelFor throws, and ignores an unknown level', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.use(
      requestLogger({
        logger,
        levelFor: (status) => {
          if (status === 500) throw new Error('bad callback');
          return 'loud';
        },
      }),
    );
    app.get('/s/:code', (req, res) => {
      res.status(Number(req.params.code)).send('x');
    });
    await request(app).get('/s/404');
    await request(app).get('/s/500');
    await settled();
    const [unknown, failed] = out.lines();
    assert.equal(unknown!['@level'], 'WARN');
    assert.equal(failed!['@message'], 'GET /s/500 - 500');
    assert.equal(failed!['@level'], 'ERROR');
    assert.match(String((failed!.log as Record<string, unknown>).note), /bad callback/);
  });

  it('hands access lines to a transport added later, and applies defaultMeta', async () => {
    const { out, logger } = capturedLogger({
      service: 'svc',
      environment: 'dev',
      defaultMeta: { region: 'eu-west-1' },
    });
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.get('/x', (_req, res) => res.send('ok'));
    await request(app).get('/x');
    const seen: Record<string, unknown>[] = [];
    class Memory extends Transport {
      override log(info: Record<string, unknown>, next: () => void) {
        seen.push(info);
        next();
      }
    }
    logger.add(new Memory()); // as the OpenTelemetry instrumentation does
    await request(app).get('/x');
    await settled();
    assert.deepEqual(
      out.lines().map((l) => [l['@message'], l.region]),
      [
        ['GET /x - 200', 'eu-west-1'],
        ['GET /x - 200', 'eu-west-1'],
      ],
    );
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.message, 'GET /x - 200');
    assert.equal((seen[0]!.response as Record<string, unknown>).status, 200);
    logger.silent = true;
    await request(app).get('/x');
    await settled();
    assert.equal(out.raw().length, 2, 'a silenced logger writes nothing');
  });

  it('keeps every transport level, format and silent flag when it writes without the streams', async () => {
    const { out, logger } = capturedLogger({ service: 'svc', environment: 'dev' });
    const seen: Record<string | symbol, unknown>[][] = [[], [], []];
    // The class name of @opentelemetry/winston-transport's transport, which takes direct calls.
    const direct = (i: number) =>
      class OpenTelemetryTransportV3 extends Transport {
        override log(info: Record<string | symbol, unknown>, next: () => void) {
          seen[i]!.push(info);
          next();
        }
      };
    const All = direct(0);
    const ErrorsOnly = direct(1);
    const Tagged = direct(2);
    logger.add(new All());
    logger.add(new ErrorsOnly({ level: 'error' }));
    const tag = winston.format((info) => ({ ...info, tagged: true }))();
    logger.add(new Tagged({ format: tag }));
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.get('/s/:code', (req, res) => res.status(Number(req.params.code)).send('x'));
    await request(app).get('/s/200');
    await request(app).get('/s/503');
    await settled();
    assert.deepEqual(
      out.lines().map((l) => l['@message']),
      ['GET /s/200 - 200', 'GET /s/503 - 503'],
    );
    assert.deepEqual(
      seen.map((records) => records.map((r) => r.message)),
      [
        ['GET /s/200 - 200', 'GET /s/503 - 503'],
        ['GET /s/503 - 503'],
        ['GET /s/200 - 200', 'GET /s/503 - 503'],
      ],
    );
    assert.equal(seen[2]![0]!.tagged, true);
    assert.equal(seen[0]![0]!.tagged, undefined, 'a transport format works on a copy');
    assert.equal(seen[0]![0]![Symbol.for('level')], 'info');
    assert.match(String(seen[0]![0]!.tracking_id), /^unknown$|^[0-9a-f]{32}$/);
    logger.transports[2]!.silent = true; // ErrorsOnly (0 is the JSON-line transport)
    await request(app).get('/s/500');
    await settled();
    assert.equal(seen[1]!.length, 1, 'a silent transport gets nothing');
    assert.equal(seen[0]!.length, 3);
  });

  it('names the middleware requestLoggerMiddleware and needs service without a logger', () => {
    const mw = requestLogger({ service: 'svc', stream: captureLines().stream, env: {} });
    assert.equal(mw.name, 'requestLoggerMiddleware');
    assert.throws(() => requestLogger({}), /`service` option is required/);
  });

  it('warns once (AI_TEAMS_MOUNT_ORDER) when mounted after every route, whose requests it never logs', async () => {
    const { out, logger } = setup();
    const app = createApp();
    app.get('/api/items/:id', (_req, res) => {
      res.json({ ok: true });
    });
    app.use(requestLogger({ logger }));
    const { statuses, warnings: order } = await misplacedMountWarnings(
      app,
      '/api/items/1',
      MOUNT_ORDER_WINDOW_MS,
    );
    assert.deepEqual(statuses, [200, 404, 404]);
    assert.equal(order.length, 1);
    assert.match(
      order[0]!.message,
      /^requestLogger\(\) is mounted after every route .* no access line/,
    );
    const paths = out.lines().map((l) => (l.request as { path?: string } | undefined)?.path);
    assert.deepEqual(paths, ['/nowhere', '/nowhere'], 'the symptom: only the unmatched requests');
  });
});
