import assert from 'node:assert/strict';
import http from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { context, type Context } from '@opentelemetry/api';
import request from 'supertest';
import { describeExpress, enableTestTracing, listen, type TestTracing } from '@ai-teams/test-utils';
import {
  finalStatus,
  getRequestContext,
  getTrackingId,
  markServerCut,
  setRequestContext,
  trackingId,
} from '../src';

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

// gc() for the test of what a kept context holds.
setFlagsFromString('--expose-gc');

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

describeExpress('trackingId() with the OpenTelemetry SDK', (createApp, version) => {
  let tracing: TestTracing;
  before(() => {
    tracing = enableTestTracing();
  });
  beforeEach(() => tracing.reset());

  function app() {
    const a = createApp();
    a.use(trackingId());
    a.get('/users/:id', (req, res) => {
      res.json({ id: req.trackingId, fromContext: getTrackingId(), locals: res.locals.trackingId });
    });
    return a;
  }

  it('returns the server span trace id in X-Tracking-ID and sets tracking.id on that span', async () => {
    const res = await request(app()).get('/users/7').expect(200);
    const id = String(res.headers['x-tracking-id']);
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.deepEqual(res.body, { id, fromContext: id, locals: id });
    const [server] = await tracing.serverSpans(id);
    assert.ok(server, 'a server span with that trace id was exported');
    assert.equal(server.attributes['tracking.id'], id);
    const middlewareSpans = (await tracing.spans()).filter((s) => s.kind !== 1);
    assert.ok(middlewareSpans.length > 0, 'express spans exist');
    for (const span of middlewareSpans) assert.equal(span.attributes['tracking.id'], undefined);
  });

  it('keeps the id and request context after a body parser and in a finish listener', async () => {
    const a = createApp();
    a.use(trackingId());
    a.use(version.load().json());
    let finishedWith: string | undefined;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    a.post('/work', async (req, res) => {
      setRequestContext({ user: { id: req.body.user } });
      await new Promise((r) => setTimeout(r, 1));
      res.on('finish', () => {
        finishedWith = getTrackingId();
        finished();
      });
      res.json({ id: getTrackingId(), ctx: getRequestContext() });
    });
    const res = await request(a).post('/work').send({ user: 'u-7' }).expect(200);
    const id = res.headers['x-tracking-id'];
    assert.deepEqual(res.body, { id, ctx: { user: { id: 'u-7' } } });
    await done;
    assert.equal(finishedWith, id);
  });

  it('gives an empty context until setRequestContext(), then the span attributes and the context', async () => {
    const a = createApp();
    a.use(trackingId());
    a.get('/ctx', (_req, res) => {
      const before = getRequestContext();
      const set = setRequestContext({ session: { id: 's-1' } });
      res.json({ before, set, after: getRequestContext(), id: getTrackingId() });
    });
    const res = await request(a).get('/ctx').expect(200);
    const id = String(res.headers['x-tracking-id']);
    assert.deepEqual(res.body, { before: {}, set: true, after: { session: { id: 's-1' } }, id });
    const [server] = await tracing.serverSpans(id);
    assert.equal(server?.attributes['session.id'], 's-1');
    assert.equal(server?.attributes['tracking.id'], id);
  });

  it('keeps one id and context for a request that passes it twice (app, then router)', async () => {
    const a = createApp();
    a.use(trackingId());
    let before: string | undefined;
    a.use((_req, _res, next) => {
      setRequestContext({ user: { id: 'u-1' } });
      before = getTrackingId();
      next();
    });
    const router = version.load().Router();
    router.use(trackingId());
    router.get('/orders', (req, res) => {
      res.json({ id: req.trackingId, ctx: getTrackingId(), context: getRequestContext() });
    });
    a.use('/api', router);
    const res = await request(a).get('/api/orders').expect(200);
    const id = String(res.headers['x-tracking-id']);
    assert.equal(before, id);
    assert.deepEqual(res.body, { id, ctx: id, context: { user: { id: 'u-1' } } });
    const [server] = await tracing.serverSpans(id);
    assert.equal(server?.attributes['tracking.id'], id);
  });

  it("applies a second trackingId()'s own header and attribute, with the same id", async () => {
    const a = createApp();
    a.use(trackingId());
    const router = version.load().Router();
    router.use(trackingId({ header: 'X-Other', attributeName: 'other.id' }));
    router.get('/orders', (req, res) => res.json({ id: req.trackingId }));
    a.use('/api', router);
    const res = await request(a).get('/api/orders').expect(200);
    const id = String(res.headers['x-tracking-id']);
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(res.headers['x-other'], id);
    assert.equal(res.headers['access-control-expose-headers'], 'X-Tracking-ID, X-Other');
    assert.deepEqual(res.body, { id });
    const [server] = await tracing.serverSpans(id);
    assert.equal(server?.attributes['tracking.id'], id);
    assert.equal(server?.attributes['other.id'], id);
  });

  it('lets a request be collected while a context of it outlives it', async () => {
    // Anything created during a request (a timer, a pending promise, a cache entry) may keep its
    // context: the context must not keep the whole request. It did once, through its RPC
    // metadata, and the full stack's p99 went from 5-18 ms to 27-40 ms.
    const gc = runInNewContext('gc', {}) as () => void;
    const kept: Context[] = [];
    let collected: WeakRef<object> | undefined;
    const a = createApp();
    a.use(trackingId());
    a.get('/keep', (req, res) => {
      kept.push(context.active());
      collected = new WeakRef(req);
      res.json({ id: req.trackingId });
    });
    await request(a).get('/keep').expect(200);
    for (let i = 0; i < 20 && collected!.deref() !== undefined; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    assert.equal(kept.length, 1);
    assert.equal(collected!.deref(), undefined, 'the request was collected');
  });

  it('leaves getTrackingId() and setRequestContext() out of a request without the middleware', async () => {
    const a = createApp();
    a.get('/bare', (_req, res) => {
      res.json({ id: getTrackingId() ?? null, set: setRequestContext({ user: { id: 'u' } }) });
    });
    const res = await request(a).get('/bare').expect(200);
    assert.deepEqual(res.body, { id: null, set: false });
  });

  it('returns the caller trace id when traceparent is valid and sampled', async () => {
    const res = await request(app())
      .get('/users/1')
      .set('traceparent', `00-${CALLER_TRACE}-00f067aa0ba902b7-01`)
      .expect(200);
    assert.equal(res.headers['x-tracking-id'], CALLER_TRACE);
    assert.equal((await tracing.serverSpans(CALLER_TRACE)).length, 1);
  });

  it('returns the caller trace id when traceparent is valid but not sampled', async () => {
    const res = await request(app())
      .get('/users/1')
      .set('traceparent', `00-${CALLER_TRACE}-00f067aa0ba902b7-00`)
      .expect(200);
    assert.equal(res.headers['x-tracking-id'], CALLER_TRACE);
    assert.equal(res.body.fromContext, CALLER_TRACE);
    assert.equal((await tracing.spans()).length, 0, 'a sampled-out request exports no span');
  });

  it('ignores a client X-Tracking-ID: the trace id wins', async () => {
    const forged = 'a'.repeat(32);
    const res = await request(app()).get('/users/1').set('X-Tracking-ID', forged).expect(200);
    assert.notEqual(res.headers['x-tracking-id'], forged);
    assert.equal((await tracing.serverSpans(res.headers['x-tracking-id'])).length, 1);
  });

  it('continues the same id through a downstream call', async () => {
    const downstream = createApp();
    downstream.use(trackingId());
    downstream.get('/leaf', (req, res) => {
      res.json({ id: req.trackingId });
    });
    const leaf = await listen(downstream);
    const upstream = createApp();
    upstream.use(trackingId());
    upstream.get('/root', async (_req, res) => {
      const answer = await get(`${leaf.url}/leaf`);
      res.json({ downstream: JSON.parse(answer.body).id, header: answer.headers['x-tracking-id'] });
    });
    const root = await listen(upstream);
    try {
      for (const flags of ['01', '00']) {
        const caller = flags === '01' ? CALLER_TRACE : 'b'.repeat(31) + 'c';
        const answer = await get(`${root.url}/root`, {
          traceparent: `00-${caller}-00f067aa0ba902b7-${flags}`,
        });
        const body = JSON.parse(answer.body);
        assert.equal(answer.headers['x-tracking-id'], caller);
        assert.equal(body.downstream, caller);
        assert.equal(body.header, caller);
      }
      const sampled = await tracing.serverSpans(CALLER_TRACE);
      assert.equal(sampled.length, 2, 'both services exported a server span in the caller trace');
      for (const span of sampled) assert.equal(span.attributes['tracking.id'], CALLER_TRACE);
    } finally {
      await root.close();
      await leaf.close();
    }
  });

  it('keeps each of 1,000 concurrent requests on its own id across awaits', async function () {
    const a = createApp();
    a.use(trackingId());
    a.get('/slow/:n', async (req, res) => {
      const before = getTrackingId();
      await new Promise((r) => setTimeout(r, Number(req.params.n) % 7));
      await Promise.resolve();
      const after = getTrackingId();
      res.json({ before, after, own: req.trackingId });
    });
    const server = await listen(a);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });
    try {
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, n) => {
          const trace = n.toString(16).padStart(32, 'e');
          return new Promise<{ sent: string; got: Record<string, string>; header: string }>(
            (resolve, reject) => {
              http
                .get(
                  `${server.url}/slow/${n}`,
                  { agent, headers: { traceparent: `00-${trace}-00f067aa0ba902b7-01` } },
                  (res) => {
                    let body = '';
                    res.on('data', (c) => (body += c));
                    res.on('end', () =>
                      resolve({
                        sent: trace,
                        got: JSON.parse(body),
                        header: String(res.headers['x-tracking-id']),
                      }),
                    );
                  },
                )
                .on('error', reject);
            },
          );
        }),
      );
      for (const { sent, got, header } of results) {
        assert.deepEqual(got, { before: sent, after: sent, own: sent });
        assert.equal(header, sent);
      }
    } finally {
      agent.destroy();
      await server.close();
    }
  });
  it('markServerCut() on a response not yet answered: its server span reads 500 and ERROR, as its finalStatus() does', async () => {
    const a = createApp();
    a.use(trackingId());
    const waiting: import('express').Response[] = [];
    a.get('/stuck', (_req, res) => void waiting.push(res)); // never answers
    a.get('/streamed', (_req, res) => {
      res.status(201).write('part'); // headers out, never ends
      waiting.push(res);
    });
    const server = await listen(a);
    const statuses: number[] = [];
    try {
      const requests = ['/stuck', '/streamed'].map(
        (path) =>
          new Promise<void>((resolve) => {
            http
              .get(`${server.url}${path}`, (res) => res.on('error', () => resolve()).resume())
              .on('error', () => resolve());
          }),
      );
      while (waiting.length < 2) await new Promise((r) => setTimeout(r, 5));
      const closed = waiting.map(
        (res) =>
          new Promise<void>((resolve) =>
            res.on('close', () => {
              statuses.push(finalStatus(res));
              resolve();
            }),
          ),
      );
      for (const res of waiting) markServerCut(res);
      server.server.closeAllConnections(); // as a shutdown past its grace does
      await Promise.all([...requests, ...closed]);
    } finally {
      await server.close();
    }
    assert.deepEqual(statuses, [500, 500]);
    const spans = await tracing.serverSpans();
    const byRoute = Object.fromEntries(spans.map((s) => [s.attributes['http.route'], s]));
    // Nothing was sent: the span says what the access line and request_count say.
    assert.equal(byRoute['/stuck']?.attributes['http.response.status_code'], 500);
    assert.equal(byRoute['/stuck']?.status.code, 2, 'ERROR');
    // The status that went out stays on the span (errorHandler() marks such spans itself).
    assert.equal(byRoute['/streamed']?.attributes['http.response.status_code'], 201);
  });
});
