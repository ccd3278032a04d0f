import assert from 'node:assert/strict';
import type { ErrorRequestHandler, Express } from 'express';
import request from 'supertest';
import { describeExpress, enableTestTracing, warningsOf } from '@ai-teams/test-utils';
import { trackingId } from '@ai-teams/tracking-id';
import { errorHandler } from '../src';

const CODE = 'AI_TEAMS_MOUNT_ORDER';

describeExpress('errorHandler() mounted before the routes', (createApp, version) => {
  before(() => enableTestTracing());

  const fail = () => {
    throw new Error('boom');
  };

  /** The mount-order warnings of three requests to `/fail`. */
  async function orderWarnings(app: Express) {
    const seen = await warningsOf(async () => {
      for (let i = 0; i < 3; i++) await request(app).get('/fail');
    });
    return seen.filter((w) => w.code === CODE).map((w) => w.message);
  }

  it("is named once, at the app's first request through trackingId(), with the routes it misses", async () => {
    const app = createApp();
    app.set('env', 'test'); // Express's own handler stays quiet on stderr
    app.use(trackingId());
    app.use(errorHandler());
    app.get('/fail', fail);
    app.get('/ok', (_req, res) => {
      res.json({ ok: true });
    });
    const seen = await orderWarnings(app);
    assert.equal(seen.length, 1, seen.join('\n'));
    assert.match(
      seen[0]!,
      /^errorHandler\(\) is mounted before 2 routes, routers or mounted apps of its app or router, with no error handler after them/,
    );
    assert.match(seen[0]!, /Mount it after the routes/);
    // The symptom: Express's own handler answers, not errorHandler()'s JSON.
    const res = await request(app).get('/fail').expect(500);
    assert.equal(res.body.error, undefined);
  });

  it('counts a router after it as routes', async () => {
    const app = createApp();
    app.set('env', 'test');
    app.use(trackingId());
    app.use(errorHandler());
    const router = version.load().Router();
    router.get('/fail', fail);
    app.use('/', router);
    const seen = await orderWarnings(app);
    assert.deepEqual(
      seen.map((m) => /before (\d+) routes/.exec(m)?.[1]),
      ['1'],
    );
  });

  it('is quiet after the routes, before them when another error handler follows them, and in a router', async () => {
    const last = createApp();
    last.use(trackingId());
    last.get('/fail', fail);
    last.use(errorHandler());

    const twice = createApp();
    twice.use(trackingId());
    twice.use(errorHandler());
    twice.get('/fail', fail);
    const own: ErrorRequestHandler = (_err, _req, res, _next) => {
      res.status(500).json({ own: true });
    };
    twice.use(own);

    // In a router before its routes, with the app's own after the router: the errors leave the
    // router and reach the app's. Routers are not looked into.
    const inRouter = createApp();
    inRouter.use(trackingId());
    const router = version.load().Router();
    router.use(errorHandler());
    router.get('/fail', fail);
    inRouter.use(router);
    inRouter.use(errorHandler());

    for (const app of [last, twice, inRouter]) assert.deepEqual(await orderWarnings(app), []);
    assert.equal(
      (await request(last).get('/fail').expect(500)).body.error.type,
      'InternalServerError',
    );
  });
});
