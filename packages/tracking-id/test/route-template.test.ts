import assert from 'node:assert/strict';
import type { Request, Response } from 'express';
import request from 'supertest';
import { describeExpress } from '@ai-teams/test-utils';
import { hookRoutes, matchedRouteTemplate } from '../src';

describeExpress('matchedRouteTemplate() under router mounts', (createApp, version) => {
  const Router = (options?: { mergeParams?: boolean }) => version.load().Router(options);
  /** An app whose first middleware hooks the routes, as the packages' middleware do. */
  const hookedApp = () => {
    const app = createApp();
    app.use((req, _res, next) => {
      hookRoutes(req);
      next();
    });
    return app;
  };
  /** A route handler answering the template the request matched. */
  const answer = (req: Request, res: Response) => {
    res.send(matchedRouteTemplate(req) ?? 'none');
  };

  it('names each mount with a parameter by its pattern on Express 5, by its text on Express 4', async () => {
    const app = hookedApp();
    app.get('/first', answer);
    const projects = Router({ mergeParams: true });
    projects.get('/items/:id', answer);
    const tenant = Router({ mergeParams: true });
    tenant.param('tenant', (_req, _res, next) => setTimeout(next, 2)); // the mount matched, later
    tenant.use('/p/:project', projects);
    tenant.use('/skip/:k', (_req, _res, next) => next('router'));
    tenant.use('/Docs', Router().get('/:page', answer));
    app.use('/t/:tenant', tenant);
    app.get('/t/:tenant/skip/:k/after', answer); // answered after leaving the mounts
    const shop = createApp();
    shop.get('/orders/:id', answer);
    app.use('/shop/:shop', shop);
    app.use(/^\/r\/(\d+)/, Router().get('/x', answer));
    // The accessors are installed on the first request of an Express copy.
    await request(app).get('/first').expect(200, '/first');

    const asked = [
      '/t/acme/p/one/items/1',
      '/t/b%20c/p/two/items/2',
      '/t/acme/skip/z/after',
      '/t/acme/docs/intro',
      '/shop/s1/orders/3',
      '/r/42/x',
    ];
    const answers = await Promise.all(asked.map(async (p) => (await request(app).get(p)).text));
    assert.deepEqual(
      answers,
      version.major === 5
        ? [
            '/t/:tenant/p/:project/items/:id',
            '/t/:tenant/p/:project/items/:id',
            '/t/:tenant/skip/:k/after',
            '/t/:tenant/Docs/:page',
            '/shop/:shop/orders/:id',
            '/regex(^\\/r\\/(\\d+))/x',
          ]
        : [
            '/t/acme/p/one/items/:id',
            '/t/b%20c/p/two/items/:id',
            '/t/:tenant/skip/:k/after',
            '/t/acme/docs/:page',
            '/shop/s1/orders/:id',
            '/r/42/x',
          ],
    );
  });

  it('leaves req.baseUrl as Express sets it, in and out of mounts', async () => {
    const app = hookedApp();
    const seen: unknown[] = [];
    const inner = Router();
    inner.use((req, _res, next) => {
      seen.push(req.baseUrl);
      next();
    });
    inner.get('/x', (req, res) => {
      seen.push(req.baseUrl);
      res.send(matchedRouteTemplate(req));
    });
    app.use('/m/:v', inner);
    app.use((req, _res, next) => {
      seen.push(req.baseUrl);
      next();
    });
    app.get('/y', (req, res) => {
      seen.push(req.baseUrl);
      res.send('y');
    });
    await request(app).get('/y').expect(200);
    seen.length = 0;
    await request(app).get('/m/abc/x').expect(200);
    await request(app).get('/m/abc/nothing').expect(404);
    assert.deepEqual(seen, ['/m/abc', '/m/abc', '/m/abc', '']);
  });

  it('names a mount the app entered by setting req.baseUrl itself by its text', async () => {
    const app = createApp();
    app.use((req, _res, next) => {
      hookRoutes(req);
      // A hand-made mount, as a proxy or a path rewrite makes one: no router pattern matched it.
      if (req.url.startsWith('/rw/')) {
        req.baseUrl = '/rw';
        req.url = req.url.slice('/rw'.length);
      }
      next();
    });
    app.get('/y', answer);
    const inner = Router();
    inner.use((req, _res, next) => {
      req.baseUrl += '/extra';
      next();
    });
    inner.get('/z', answer);
    app.use('/p/:id', inner);
    await request(app).get('/first').expect(404);

    const answers = await Promise.all(
      ['/rw/y', '/p/1/z'].map(async (p) => (await request(app).get(p)).text),
    );
    // The pattern the router matched last (`/`, `/p/:id`) named them: `//y`, `/p/:id//z`.
    assert.deepEqual(answers, ['/rw/y', version.major === 5 ? '/p/:id/extra/z' : '/p/1/extra/z']);
  });

  it('names by its text a req.baseUrl the app grows inside a mount whose pattern the text matches', async () => {
    const app = hookedApp();
    app.get('/first', answer);
    const inner = Router();
    inner.get('/z', answer);
    // A middleware mounted at a pattern that grows req.baseUrl itself, by text the pattern would
    // match, and hands the request to a router of its own.
    app.use('/:tenant', (req, res, next) => {
      req.baseUrl += '/x';
      req.url = req.url.slice('/x'.length);
      inner(req, res, next);
    });
    await request(app).get('/first').expect(200);

    const answers = await Promise.all(
      ['/acme/x/z', '/globex/x/z'].map(async (p) => (await request(app).get(p)).text),
    );
    // Before: the mount's pattern named the app's text too, `/:tenant/:tenant/z`.
    assert.deepEqual(
      answers,
      version.major === 5 ? ['/:tenant/x/z', '/:tenant/x/z'] : ['/acme/x/z', '/globex/x/z'],
    );
  });

  it('names a RegExp mount whose lookahead reads past its match by its pattern', async () => {
    const app = hookedApp();
    app.get('/first', answer);
    // A tenant segment only where an API path follows: the router's RegExp sees the whole path.
    app.use(/^\/(\w+)(?=\/api\/)/, Router().get('/api/orders', answer));
    await request(app).get('/first').expect(200);

    const answers = await Promise.all(
      ['/acme/api/orders', '/globex/api/orders'].map(async (p) => (await request(app).get(p)).text),
    );
    assert.deepEqual(
      answers,
      version.major === 5
        ? [
            '/regex(^\\/(\\w+)(?=\\/api\\/))/api/orders',
            '/regex(^\\/(\\w+)(?=\\/api\\/))/api/orders',
          ]
        : ['/acme/api/orders', '/globex/api/orders'],
    );
  });
});
