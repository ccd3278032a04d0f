import assert from 'node:assert/strict';
import request from 'supertest';
import { describeExpress, enableTestTracing, type TestTracing } from '@ai-teams/test-utils';
import { getRequestContext, setRequestContext, trackingId } from '../src';

describeExpress('setRequestContext()', (createApp) => {
  let tracing: TestTracing;
  before(() => {
    tracing = enableTestTracing();
  });
  beforeEach(() => tracing.reset());

  it('puts business context on the server span and keeps it for the rest of the request', async () => {
    const a = createApp();
    a.use(trackingId());
    a.use((_req, _res, next) => {
      setRequestContext({ user: { id: 'u-1', segment: 'pro' }, session: { id: 's-9' } });
      next();
    });
    a.get('/', async (_req, res) => {
      await new Promise((r) => setTimeout(r, 1));
      setRequestContext({ operation: { name: 'list' }, user: { plan: 'team', nested: { no: 1 } } });
      res.json(getRequestContext());
    });
    const res = await request(a).get('/').expect(200);
    assert.deepEqual(res.body, {
      user: { id: 'u-1', segment: 'pro', plan: 'team' },
      session: { id: 's-9' },
      operation: { name: 'list' },
    });
    const [server] = await tracing.serverSpans(res.headers['x-tracking-id']);
    assert.ok(server);
    assert.equal(server.attributes['user.id'], 'u-1');
    assert.equal(server.attributes['user.segment'], 'pro');
    assert.equal(server.attributes['user.plan'], 'team');
    assert.equal(server.attributes['session.id'], 's-9');
    assert.equal(server.attributes['operation.name'], 'list');
    assert.equal(server.attributes['user.nested'], undefined);
  });

  it('puts a numeric user or session id on the span as a string, as the conventions type it', async () => {
    const a = createApp();
    a.use(trackingId());
    a.get('/', (_req, res) => {
      // What a JavaScript caller hands over: the database row's numbers (TypeScript asks for strings).
      setRequestContext({
        user: { id: 42 as unknown as string, seats: 3 },
        session: { id: 7 as unknown as string },
      });
      res.json(getRequestContext());
    });
    const res = await request(a).get('/').expect(200);
    // The log lines' context keeps the values as given.
    assert.deepEqual(res.body, { user: { id: 42, seats: 3 }, session: { id: 7 } });
    const [server] = await tracing.serverSpans(res.headers['x-tracking-id']);
    assert.ok(server);
    assert.equal(server.attributes['user.id'], '42');
    assert.equal(server.attributes['session.id'], '7');
    // Names of the app's own keep their type.
    assert.equal(server.attributes['user.seats'], 3);
  });

  it('takes a bigint id (a BIGINT column) as its text, on the span and in the log context', async () => {
    const a = createApp();
    a.use(trackingId());
    a.get('/', (_req, res) => {
      setRequestContext({
        user: { id: 9007199254740993n as unknown as string },
        workflow: { run: 5n },
      });
      res.json(getRequestContext());
    });
    const res = await request(a).get('/').expect(200);
    assert.deepEqual(res.body, { user: { id: '9007199254740993' }, workflow: { run: '5' } });
    const [server] = await tracing.serverSpans(res.headers['x-tracking-id']);
    assert.ok(server);
    assert.equal(server.attributes['user.id'], '9007199254740993');
    assert.equal(server.attributes['workflow.run'], '5');
  });

  it('cuts the text of a bigint at 256 characters, as it cuts a string', async () => {
    const a = createApp();
    a.use(trackingId());
    a.get('/', (_req, res) => {
      setRequestContext({ workflow: { run: 10n ** 400n } });
      res.json(getRequestContext());
    });
    const res = await request(a).get('/').expect(200);
    assert.equal(res.body.workflow.run, `1${'0'.repeat(255)}`);
    const [server] = await tracing.serverSpans(res.headers['x-tracking-id']);
    assert.ok(server);
    assert.equal(server.attributes['workflow.run'], `1${'0'.repeat(255)}`);
  });

  it('bounds values: long strings are cut and at most 16 keys per section are kept', async () => {
    const a = createApp();
    a.use(trackingId());
    a.get('/', (_req, res) => {
      const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v']));
      setRequestContext({ workflow: { type: 'x'.repeat(10_000), ...many } });
      res.json(getRequestContext());
    });
    const res = await request(a).get('/').expect(200);
    assert.equal(res.body.workflow.type.length, 256);
    assert.equal(Object.keys(res.body.workflow).length, 16);
  });

  it('counts keys named like Object.prototype methods towards the 16, and drops keys over 64 characters', async () => {
    const a = createApp();
    a.use(trackingId());
    a.get('/', (_req, res) => {
      const many = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v']));
      setRequestContext({ workflow: many });
      setRequestContext({
        workflow: { constructor: 'c', toString: 't', valueOf: 'v', k0: 'again' },
        operation: { ['n'.repeat(65)]: 'long key', ['m'.repeat(64)]: 'ok' },
      });
      res.json(getRequestContext());
    });
    const res = await request(a).get('/').expect(200);
    assert.equal(Object.keys(res.body.workflow).length, 16);
    assert.equal(res.body.workflow.k0, 'again');
    assert.equal(Object.hasOwn(res.body.workflow, 'constructor'), false);
    assert.deepEqual(res.body.operation, { ['m'.repeat(64)]: 'ok' });
    const [server] = await tracing.serverSpans(res.headers['x-tracking-id']);
    assert.equal(server!.attributes[`operation.${'n'.repeat(65)}`], undefined);
    assert.equal(server!.attributes['workflow.k0'], 'again');
  });

  it('ignores a null patch, a non-object section and a section whose properties throw', async () => {
    const a = createApp();
    a.use(trackingId());
    a.get('/', (_req, res) => {
      const results = [
        setRequestContext(null as never),
        setRequestContext({ user: 'u-1' as never }),
        setRequestContext({
          session: {
            get id(): string {
              throw new Error('getter');
            },
          },
          user: { id: 'u-2' },
        }),
        setRequestContext({
          get workflow(): never {
            throw new Error('section getter');
          },
        }),
      ];
      res.json({ results, context: getRequestContext() });
    });
    const res = await request(a).get('/').expect(200);
    assert.deepEqual(res.body, {
      results: [true, true, true, true],
      context: { user: { id: 'u-2' }, session: {} },
    });
  });

  it('returns false and does nothing outside a request', () => {
    assert.equal(setRequestContext({ user: { id: 'x' } }), false);
    assert.equal(getRequestContext(), undefined);
  });
});
