import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Express, Request, RequestHandler, Response } from 'express';
import request from 'supertest';
import {
  describeExpress,
  enableTestTracing,
  listen,
  warningsOf,
  wrappedLayers,
  type TestTracing,
} from '@ai-teams/test-utils';
import { MOUNT_ORDER_WINDOW_MS, mountOrderCheck, trackingId } from '../src';

const CODE = 'AI_TEAMS_MOUNT_ORDER';
const WINDOW = 60;

/** A middleware that checks its mount order as the packages' middleware do, with a short window. */
function probe(): RequestHandler {
  let check: ((req: Request, res: Response) => boolean) | undefined | null;
  return function probeMiddleware(req, res, next) {
    if (check !== null) {
      check ??= mountOrderCheck(probeMiddleware, 'probe()', 'no probe', WINDOW);
      if (check(req, res)) check = null;
    }
    next();
  };
}

/** The mount-order warnings of these requests, sent one after the other, and of the window after. */
async function orderWarnings(app: Express, paths: string[], wait = WINDOW + 60) {
  const seen = await warningsOf(
    async () => {
      for (const path of paths) await request(app).get(path);
    },
    { code: CODE, afterMs: wait },
  );
  return seen.map((w) => w.message);
}

/** The mount-order warnings of `fn` and of the window after. */
const orderWarningsOf = (fn: () => Promise<void>) =>
  warningsOf(fn, { code: CODE, afterMs: WINDOW + 60 });

describeExpress('mount order', (createApp, version) => {
  let tracing: TestTracing;
  before(() => {
    tracing = enableTestTracing();
  });
  beforeEach(() => tracing.reset());

  const ok = (_req: unknown, res: { json(b: unknown): void }) => res.json({ ok: true });
  const Router = () => version.load().Router();

  it('warns once when the middleware is after every route and what reaches it ends in 404', async () => {
    const app = createApp();
    app.get('/api/items/:id', ok);
    app.get('/health', ok);
    app.use(probe());
    const seen = await orderWarnings(app, ['/nowhere', '/api/items/1', '/nowhere-else']);
    assert.equal(seen.length, 1, seen.join('\n'));
    assert.match(seen[0]!, /^probe\(\) is mounted after every route of its app or router/);
    assert.match(seen[0]!, /\(2 routes, routers or mounted apps before it, none after\)/);
    assert.match(seen[0]!, /so they get no probe\. Mount it before the routes/);
    // Once: later requests, and a later window, add nothing.
    assert.deepEqual(await orderWarnings(app, ['/nowhere']), []);
  });

  it('still warns after a first request whose client left while a middleware before it waited', async () => {
    const app = createApp();
    app.get('/api/items/:id', ok);
    app.use((req, res, next) => {
      if (req.path !== '/wait') return next();
      const wait = () => (res.closed ? next() : setTimeout(wait, 2));
      wait();
    });
    app.use(probe());
    const server = await listen(app);
    try {
      const seen = await orderWarningsOf(async () => {
        const left = http.get(`${server.url}/wait`);
        left.on('error', () => undefined);
        setTimeout(() => left.destroy(), 10);
        await sleep(30); // closed, then passed on to the probe: no 'close' left to wait for
        await request(app).get('/nowhere');
      });
      assert.equal(seen.length, 1, seen.map((w) => w.message).join('\n'));
    } finally {
      await server.close();
    }
  });

  it('is quiet before the routes, and after some routes with more after it (/health first on purpose)', async () => {
    const first = createApp();
    first.use(probe());
    first.get('/api/items/:id', ok);

    const afterHealth = createApp();
    afterHealth.get('/health', ok);
    afterHealth.use(probe());
    const router = Router();
    router.get('/items/:id', ok);
    afterHealth.use('/api', router);

    for (const app of [first, afterHealth])
      assert.deepEqual(await orderWarnings(app, ['/nowhere', '/api/items/1']), []);
  });

  it('is quiet when a middleware after it answers: express.static, a proxy', async () => {
    const withStatic = createApp();
    withStatic.get('/health', ok);
    withStatic.use(probe());
    withStatic.use(version.load().static(__dirname));

    const withProxy = createApp();
    withProxy.get('/health', ok);
    withProxy.use(probe());
    withProxy.use((_req, res) => {
      res.json({ proxied: true });
    });

    assert.deepEqual(await orderWarnings(withStatic, ['/mount-order.test.ts']), []);
    assert.deepEqual(await orderWarnings(withProxy, ['/api/x']), []);
  });

  it('is quiet while a middleware after it is still answering when the window ends (a slow proxy)', async () => {
    const app = createApp();
    app.get('/health', ok);
    app.use(probe());
    app.use('/api', (_req, res) => {
      setTimeout(() => res.json({ proxied: true }), WINDOW * 3);
    });
    const seen = await orderWarningsOf(async () => {
      const slow = request(app)
        .get('/api/orders')
        .then((r) => r.status);
      await sleep(10); // it reaches the middleware first, and is still open at the deadline
      await request(app).get('/favicon.ico').expect(404);
      assert.equal(await slow, 200);
    });
    assert.deepEqual(seen, []);
  });

  it('does not let the OPTIONS answer Express gives itself hide a misplaced middleware', async () => {
    const app = createApp();
    app.get('/a', ok);
    app.use(probe());
    const seen = await orderWarningsOf(async () => {
      await request(app).get('/nowhere').expect(404);
      await request(app).options('/a').expect(200); // Express's own answer, after every layer
      await request(app).get('/nowhere-else').expect(404);
    });
    assert.equal(seen.length, 1);
  });

  it('is quiet when the routes after it are added after its first request', async () => {
    const app = createApp();
    app.get('/health', ok);
    app.use(probe());
    const seen = await orderWarningsOf(async () => {
      await request(app).get('/api/items/1').expect(404); // the router is not there yet
      const router = Router();
      router.get('/items/:id', ok);
      app.use('/api', router); // and no request after it: only the second look sees it
    });
    assert.deepEqual(seen, []);
  });

  it('looks at the router it is mounted on, and counts routers and mounted apps as routes', async () => {
    const inRouter = createApp();
    const router = Router();
    router.get('/items/:id', ok);
    router.use(probe());
    inRouter.use('/api', router);

    const afterRouter = createApp();
    const r2 = Router();
    r2.get('/items/:id', ok);
    afterRouter.use('/api', r2);
    afterRouter.use(probe());

    const afterSubApp = createApp();
    const sub = createApp();
    sub.get('/items/:id', ok);
    afterSubApp.use('/api', sub);
    afterSubApp.use(probe());

    for (const app of [inRouter, afterRouter, afterSubApp]) {
      const seen = await orderWarnings(app, ['/api/nowhere']);
      assert.deepEqual(
        seen.map((m) => /\((\d+) route, router or mounted app before it/.exec(m)?.[1]),
        ['1'],
      );
    }
  });

  it('is quiet when the same middleware is also mounted before the routes', async () => {
    const app = createApp();
    const mw = probe();
    app.use(mw);
    const router = Router();
    router.get('/items/:id', ok);
    router.use(mw);
    app.use('/api', router);
    assert.deepEqual(await orderWarnings(app, ['/api/nowhere', '/api/items/1']), []);
  });

  it("finds its layer inside the express instrumentation's wrapper", async () => {
    const app = createApp();
    app.get('/api/items/:id', ok);
    app.use(probe());
    assert.deepEqual(wrappedLayers(app, 'probeMiddleware'), [true]);
    assert.equal((await orderWarnings(app, ['/nowhere'])).length, 1);
  });

  it('trackingId() checks itself, over the default window, naming the header it did not set', async () => {
    const app = createApp();
    app.get('/api/items/:id', ok);
    app.use(trackingId({ header: 'X-Request-ID' }));
    const routed = await request(app).get('/api/items/1').expect(200);
    assert.equal(routed.headers['x-request-id'], undefined, 'the symptom: no header');
    const seen = await orderWarnings(app, ['/nowhere'], MOUNT_ORDER_WINDOW_MS + 100);
    assert.equal(seen.length, 1);
    assert.match(
      seen[0]!,
      /^trackingId\(\) is mounted after every route .* no X-Request-ID header/,
    );
  });
});

describe('mountOrderCheck()', () => {
  it('is done at once, without throwing or warning, for requests and apps of odd shapes', async () => {
    const mw = () => undefined;
    const cyclic: { handle: unknown; route?: unknown }[] = [];
    const router = Object.assign(() => undefined, { stack: cyclic });
    cyclic.push({ handle: router }, { handle: mw }, { handle: router });
    const throwing = {
      get route(): unknown {
        throw new Error('boom');
      },
      handle: () => undefined,
    };
    const odd = [
      undefined,
      {},
      { app: {} },
      { app: { router: { stack: [null, { handle: 1 }, { handle: { stack: 5 } }] } } },
      { app: { _router: { stack: cyclic } } },
      { app: { router: { stack: [throwing, { handle: mw }] } } },
    ];
    const seen = await warningsOf(() => {
      for (const req of odd)
        assert.equal(mountOrderCheck(mw, 'x()', 'y', 10)(req as never, {} as never), true);
    });
    assert.deepEqual(seen, []);
  });
});
