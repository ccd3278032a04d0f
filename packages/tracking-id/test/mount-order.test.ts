import assert from 'node:assert/strict';
import request from 'supertest';
import {
  describeExpress,
  enableTestTracing,
  warningsOf,
  wrappedLayers,
  type TestTracing,
} from '@ai-teams/test-utils';
import { trackingId, warnIfAfterRoutes } from '../src';

const CODE = 'AI_TEAMS_MOUNT_ORDER';

describeExpress('mount order: trackingId() after the routes', (createApp, version) => {
  let tracing: TestTracing;
  before(() => {
    tracing = enableTestTracing();
  });
  beforeEach(() => tracing.reset());
  afterEach(() => tracing.express.setConfig({}));

  const ok = (_req: unknown, res: { json(b: unknown): void }) => res.json({ ok: true });

  /** The mount-order warnings of two requests: a routed one and one no route matches. */
  async function warningsOfTwoRequests(app: ReturnType<typeof createApp>) {
    const seen = await warningsOf(async () => {
      await request(app).get('/nowhere');
      await request(app).get('/nowhere-else');
      await request(app).get('/api/items/1');
    });
    return seen.filter((w) => w.code === CODE);
  }

  it('warns once, naming the call and what the routed requests miss, when every route is before it', async () => {
    const app = createApp();
    app.get('/api/items/:id', ok);
    app.get('/health', ok);
    app.use(trackingId());
    const routed = await request(app).get('/api/items/1').expect(200);
    assert.equal(routed.headers['x-tracking-id'], undefined, 'the symptom: no header');

    const seen = await warningsOfTwoRequests(app);
    assert.equal(seen.length, 1, seen.map((w) => w.message).join('\n'));
    assert.match(seen[0]!.message, /^trackingId\(\) is mounted after every route/);
    assert.match(seen[0]!.message, /\(2 before it, none after\)/);
    assert.match(seen[0]!.message, /no X-Tracking-ID header/);
    assert.match(seen[0]!.message, /Mount it before the routes/);
  });

  it('names the header the options chose', async () => {
    const app = createApp();
    app.get('/api/items/:id', ok);
    app.use(trackingId({ header: 'X-Request-ID' }));
    const [warning] = await warningsOfTwoRequests(app);
    assert.match(String(warning?.message), /no X-Request-ID header/);
  });

  it('is quiet before the routes, and after some routes with more after it (/health first on purpose)', async () => {
    const before = createApp();
    before.use(trackingId());
    before.get('/api/items/:id', ok);

    const afterHealth = createApp();
    afterHealth.get('/health', ok);
    afterHealth.use(trackingId());
    const router = version.load().Router();
    router.get('/items/:id', ok);
    afterHealth.use('/api', router);

    for (const app of [before, afterHealth]) assert.deepEqual(await warningsOfTwoRequests(app), []);
  });

  it('looks at the router it is mounted on, and counts routers and mounted apps as routes', async () => {
    const inRouter = createApp();
    const router = version.load().Router();
    router.get('/items/:id', ok);
    router.use(trackingId());
    inRouter.use('/api', router);

    const afterRouter = createApp();
    const r2 = version.load().Router();
    r2.get('/items/:id', ok);
    afterRouter.use('/api', r2);
    afterRouter.use(trackingId());

    const afterSubApp = createApp();
    const sub = createApp();
    sub.get('/items/:id', ok);
    afterSubApp.use('/api', sub);
    afterSubApp.use(trackingId());

    for (const app of [inRouter, afterRouter, afterSubApp]) {
      const seen = await warningsOf(() => request(app).get('/api/nowhere'));
      assert.deepEqual(
        seen.filter((w) => w.code === CODE).map((w) => /\((\d+) before it/.exec(w.message)?.[1]),
        ['1'],
      );
    }
  });

  it('is quiet when the same middleware is also mounted before the routes', async () => {
    const app = createApp();
    const mw = trackingId();
    app.use(mw);
    const router = version.load().Router();
    router.get('/items/:id', ok);
    router.use(mw);
    app.use('/api', router);
    assert.deepEqual(await warningsOfTwoRequests(app), []);
  });

  it("finds its layer inside the express instrumentation's wrapper", async () => {
    const app = createApp();
    app.get('/api/items/:id', ok);
    app.use(trackingId());
    assert.deepEqual(wrappedLayers(app, 'trackingIdMiddleware'), [true]);
    assert.equal((await warningsOfTwoRequests(app)).length, 1);
  });
});

describe('warnIfAfterRoutes()', () => {
  it('returns false, without throwing, for requests and apps of odd shapes', async () => {
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
      {},
      { app: {} },
      { app: { router: { stack: [null, { handle: 1 }, { handle: { stack: 5 } }] } } },
      { app: { _router: { stack: cyclic } } },
      { app: { router: { stack: [throwing, { handle: mw }] } } },
    ];
    const seen = await warningsOf(() => {
      for (const req of odd) assert.equal(warnIfAfterRoutes(req as never, mw, 'x()', 'y'), false);
    });
    assert.deepEqual(seen, []);
  });
});
