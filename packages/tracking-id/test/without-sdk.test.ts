import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import request from 'supertest';
import { describeExpress, disableTestTracing } from '@ai-teams/test-utils';
import {
  getRequestContext,
  getTrackingId,
  isTrackingId,
  setRequestContext,
  trackingId,
} from '../src';

const VALID = '0af7651916cd43dd8448eb211c80319c';

describeExpress('trackingId() without an SDK', (createApp, version) => {
  before(() => disableTestTracing());

  function app(options?: Parameters<typeof trackingId>[0]) {
    const a = createApp();
    a.use(trackingId(options));
    a.get('/', (req, res) => {
      res.json({ id: req.trackingId, ctx: getTrackingId() });
    });
    return a;
  }

  it('generates a W3C-valid random id per request', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await request(app()).get('/').expect(200);
      const id = res.headers['x-tracking-id'];
      assert.ok(isTrackingId(id), id);
      assert.equal(res.body.id, id);
      assert.equal(res.body.ctx, id);
      ids.add(id);
    }
    assert.equal(ids.size, 20);
  });

  it('uses the trace id of a valid incoming traceparent, sampled or not', async () => {
    for (const flags of ['00', '01']) {
      const res = await request(app())
        .get('/')
        .set('traceparent', `00-${VALID}-b7ad6b7169203331-${flags}`);
      assert.equal(res.headers['x-tracking-id'], VALID);
    }
  });

  const malformed: Record<string, string> = {
    'wrong length': `00-${VALID.slice(1)}-b7ad6b7169203331-01`,
    'upper case': `00-${VALID.toUpperCase()}-b7ad6b7169203331-01`,
    'version ff': `ff-${VALID}-b7ad6b7169203331-01`,
    'all-zero trace id': `00-${'0'.repeat(32)}-b7ad6b7169203331-01`,
    'all-zero span id': `00-${VALID}-0000000000000000-01`,
    'extra fields on version 00': `00-${VALID}-b7ad6b7169203331-01-extra`,
    garbage: '\u00ff\u0000not a header at all',
    'very long': `00-${VALID}-b7ad6b7169203331-01${'-x'.repeat(5000)}`,
  };
  for (const [name, header] of Object.entries(malformed)) {
    it(`ignores a malformed traceparent (${name}) and still answers with a valid id`, async () => {
      const res = await request(app())
        .get('/')
        .set('traceparent', header.replace(/[^\x20-\x7e]/g, '?'))
        .expect(200);
      const id = res.headers['x-tracking-id'];
      assert.ok(isTrackingId(id), `invalid id ${id}`);
      assert.notEqual(id, VALID);
    });
  }

  it('does not reflect a client X-Tracking-ID by default', async () => {
    const res = await request(app()).get('/').set('X-Tracking-ID', VALID);
    assert.notEqual(res.headers['x-tracking-id'], VALID);
  });

  it('accepts a valid client id with trustIncoming, lower-cased', async () => {
    const res = await request(app({ trustIncoming: true }))
      .get('/')
      .set('X-Tracking-ID', VALID.toUpperCase());
    assert.equal(res.headers['x-tracking-id'], VALID);
  });

  for (const forged of [
    '0'.repeat(32),
    'g'.repeat(32),
    `${VALID}0`,
    `${VALID}\r\nSet-Cookie: a=b`,
    'x'.repeat(10_000),
    '<script>',
  ]) {
    it(`replaces a forged or oversized client id with trustIncoming (${forged.slice(0, 20)}…)`, async () => {
      const res = await request(app({ trustIncoming: true }))
        .get('/')
        .set('X-Tracking-ID', forged.replace(/[\r\n]/g, ' '));
      const id = res.headers['x-tracking-id'];
      assert.ok(isTrackingId(id));
      assert.ok(!forged.toLowerCase().includes(id));
      assert.equal(res.headers['set-cookie'], undefined);
    });
  }

  it('uses a custom header name and generator, validating the generated value', async () => {
    let calls = 0;
    const custom = app({
      header: 'X-Request-Ref',
      generateId: () => (++calls === 1 ? 'f'.repeat(32) : 'nope'),
    });
    const first = await request(custom).get('/');
    assert.equal(first.headers['x-request-ref'], 'f'.repeat(32));
    assert.equal(first.headers['x-tracking-id'], undefined);
    const second = await request(custom).get('/');
    assert.ok(isTrackingId(second.headers['x-request-ref']));
    assert.notEqual(second.headers['x-request-ref'], 'nope');
  });

  it('rejects an invalid header name at start-up with a message naming the option', () => {
    assert.throws(() => trackingId({ header: 'X Bad\n' }), /option "header"/);
  });

  it('adds the header to Access-Control-Expose-Headers, merging existing values once', async () => {
    const a = createApp();
    a.use((_req, res, next) => {
      res.setHeader('Access-Control-Expose-Headers', 'ETag, X-Total-Count');
      next();
    });
    a.use(trackingId());
    a.use(trackingId());
    a.get('/', (_req, res) => {
      res.end();
    });
    const res = await request(a).get('/');
    assert.equal(
      res.headers['access-control-expose-headers'],
      'ETag, X-Total-Count, X-Tracking-ID',
    );
    const plain = await request(app()).get('/');
    assert.equal(plain.headers['access-control-expose-headers'], 'X-Tracking-ID');
    const off = await request(app({ exposeHeader: false })).get('/');
    assert.equal(off.headers['access-control-expose-headers'], undefined);
  });

  it('keeps one id and context for a request that passes it twice (app, then router)', async () => {
    // Runs a function outside any request: a middleware in between that loses the context.
    const outside = AsyncLocalStorage.snapshot();
    const seen: unknown[] = [];
    for (const losesContext of [false, true]) {
      const a = createApp();
      a.use(trackingId());
      const before: Record<string, unknown> = {};
      a.use((req, _res, next) => {
        setRequestContext({ user: { id: 'u-1' } });
        Object.assign(before, { id: req.trackingId, ctx: getTrackingId() });
        if (losesContext) outside(() => next());
        else next();
      });
      const router = version.load().Router();
      router.use(trackingId());
      router.get('/orders', (req, res) => {
        res.json({ id: req.trackingId, ctx: getTrackingId(), context: getRequestContext() });
      });
      a.use('/api', router);
      const res = await request(a).get('/api/orders').expect(200);
      const id = res.headers['x-tracking-id'];
      assert.ok(isTrackingId(id), id);
      seen.push(
        [before, res.body],
        [
          { id, ctx: id },
          { id, ctx: id, context: { user: { id: 'u-1' } } },
        ],
      );
    }
    assert.deepEqual(seen[0], seen[1]);
    assert.deepEqual(seen[2], seen[3], 'after a middleware that lost the context');
  });

  it('keeps the id after a body parser, timers, promise chains and event emitters', async () => {
    const a = createApp();
    a.use(trackingId());
    a.use(version.load().json());
    a.post('/work', (req, res) => {
      const seen: Record<string, string | undefined> = { handler: getTrackingId() };
      const emitter = new EventEmitter();
      setTimeout(() => {
        seen.timer = getTrackingId();
        Promise.resolve()
          .then(() => {
            seen.promise = getTrackingId();
            emitter.emit('done');
          })
          .catch(() => undefined);
      }, 1);
      emitter.on('done', () => {
        seen.emitter = getTrackingId();
        res.json({ id: req.trackingId, body: req.body, seen });
      });
    });
    const res = await request(a).post('/work').send({ hello: 'world' }).expect(200);
    const id = res.headers['x-tracking-id'];
    assert.deepEqual(res.body, {
      id,
      body: { hello: 'world' },
      seen: { handler: id, timer: id, promise: id, emitter: id },
    });
  });

  it('keeps the id in a finish listener added in the chain, and removeListener still works', async () => {
    const a = createApp();
    a.use(trackingId());
    const finished: (string | undefined)[] = [];
    let done!: () => void;
    const finishedOnce = new Promise<void>((resolve) => (done = resolve));
    a.get('/', (_req, res) => {
      const removed = () => finished.push('removed listener ran');
      res.on('finish', removed);
      res.removeListener('finish', removed);
      res.once('finish', () => {
        finished.push(getTrackingId());
        done();
      });
      res.end();
    });
    const res = await request(a).get('/');
    await finishedOnce;
    assert.deepEqual(finished, [res.headers['x-tracking-id']]);
  });

  it('lets listeners added with once() and prependOnceListener() be removed again', async () => {
    // once() used to wrap its own once-wrapper through the patched on(): two levels deep,
    // out of removeListener()'s reach. events.once(res, 'drain') leaked an 'error' listener.
    const a = createApp();
    a.use(trackingId());
    const ran: string[] = [];
    a.get('/', async (_req, res) => {
      const viaOnce = () => ran.push('once');
      const viaPrepend = () => ran.push('prependOnce');
      const before = res.listenerCount('finish');
      res.once('finish', viaOnce);
      res.prependOnceListener('finish', viaPrepend);
      res.removeListener('finish', viaOnce);
      res.off('finish', viaPrepend);
      const afterRemoval = res.listenerCount('finish');
      const errors = res.listenerCount('error');
      for (let i = 0; i < 20; i++) {
        const ac = new AbortController();
        const waiting = EventEmitter.once(res, 'drain', { signal: ac.signal }).catch(
          () => 'aborted',
        );
        ac.abort();
        await waiting;
      }
      res.json({
        added: afterRemoval - before,
        errorListenersAdded: res.listenerCount('error') - errors,
      });
    });
    const res = await request(a).get('/').expect(200);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(res.body, { added: 0, errorListenersAdded: 0 });
    assert.deepEqual(ran, []);
  });

  it('runs a once() listener a single time, in the request context, with the emitter as this', async () => {
    const a = createApp();
    a.use(trackingId());
    a.get('/', (_req, res) => {
      const seen: unknown[] = [];
      const emitter = new EventEmitter();
      res.once('ping', function (this: unknown, value: number) {
        seen.push(value, this === res, getTrackingId());
      });
      res.emit('ping', 1);
      res.emit('ping', 2);
      seen.push(res.listenerCount('ping'), emitter.listenerCount('ping'));
      res.json(seen);
    });
    const res = await request(a).get('/').expect(200);
    assert.deepEqual(res.body, [1, true, res.headers['x-tracking-id'], 0, 0]);
  });

  it("adds once() listeners through an on() that later middleware replaced (compression's drain)", async () => {
    const a = createApp();
    a.use(trackingId());
    const redirected: string[] = [];
    a.use((_req, res, next) => {
      // As compression does: 'drain' listeners go to its own stream, added through res.on.
      const on = res.on;
      res.on = function (this: typeof res, event: string, listener: (...a: unknown[]) => void) {
        if (event === 'drain') redirected.push('drain');
        return on.call(this, event, listener);
      } as typeof res.on;
      next();
    });
    a.get('/', (_req, res) => {
      const calls: unknown[] = [];
      res.once('drain', () => calls.push(getTrackingId()));
      res.emit('drain');
      res.emit('drain');
      res.json({ calls, left: res.listenerCount('drain') });
    });
    const res = await request(a).get('/').expect(200);
    assert.deepEqual(redirected, ['drain']);
    assert.deepEqual(res.body, { calls: [res.headers['x-tracking-id']], left: 0 });
  });

  it('runs a once() listener called from rawListeners() by hand, once', async () => {
    const a = createApp();
    a.use(trackingId());
    a.get('/', (_req, res) => {
      let calls = 0;
      res.once('ping', () => calls++);
      const [raw] = res.rawListeners('ping') as ((...args: unknown[]) => void)[];
      raw!();
      raw!();
      res.json({ calls, left: res.listenerCount('ping') });
    });
    const res = await request(a).get('/').expect(200);
    assert.deepEqual(res.body, { calls: 1, left: 0 });
  });

  it('keeps the defaults of options passed as undefined', async () => {
    const res = await request(
      app({ header: undefined, exposeHeader: undefined, generateId: undefined }),
    )
      .get('/')
      .expect(200);
    assert.ok(isTrackingId(res.headers['x-tracking-id']));
    assert.equal(res.headers['access-control-expose-headers'], 'X-Tracking-ID');
  });

  it('rejects a generateId that is not a function, and replaces an id from one that throws', async () => {
    assert.throws(
      () => trackingId({ generateId: 'abc' as unknown as () => string }),
      /option "generateId" must be a function/,
    );
    const res = await request(
      app({
        generateId: () => {
          throw new Error('no entropy');
        },
      }),
    )
      .get('/')
      .expect(200);
    assert.ok(isTrackingId(res.headers['x-tracking-id']));
  });

  it('ignores traceparent headers sent twice, however Node joins them', async () => {
    const other = '1'.repeat(32);
    // Node joins repeated traceparent headers with ", ": a future version's "extra field".
    const res = await request(app())
      .get('/')
      // superagent sends each value of an array as its own header line (its types say string).
      .set('traceparent', [
        `cc-${VALID}-b7ad6b7169203331-01-x`,
        `00-${other}-b7ad6b7169203331-01`,
      ] as unknown as string)
      .expect(200);
    const id = res.headers['x-tracking-id'];
    assert.ok(isTrackingId(id));
    assert.ok(id !== VALID && id !== other, id);
  });

  it('returns undefined outside a request', () => {
    assert.equal(getTrackingId(), undefined);
  });
});
