import assert from 'node:assert/strict';
import type { Request } from 'express';
import { context, trace } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';
import {
  describeExpress,
  disableTestTracing,
  enableTestTracing,
  listen,
  type TestTracing,
} from '@ai-teams/test-utils';
import {
  getRequestContext,
  getTrackingId,
  runInRequestContext,
  setRequestContext,
  trackingId,
} from '../src';

/** What a callback sees of the request it runs in. */
function seen() {
  return {
    id: getTrackingId(),
    user: getRequestContext()?.user?.id,
    trace: trace.getActiveSpan()?.spanContext().traceId,
  };
}

describeExpress('runInRequestContext()', (createApp) => {
  /**
   * A pool that runs request A's waiting callback in the context of request B, which frees it.
   * A answers what its callback saw without and with runInRequestContext(); B answers what its
   * own handler saw after the callback ran.
   */
  async function poolExchange() {
    const waiting: (() => void)[] = [];
    const app = createApp();
    app.use(trackingId());
    app.get('/wait', (req, res) => {
      setRequestContext({ user: { id: 'user-a' } });
      waiting.push(() => {
        const lost = seen();
        const own = runInRequestContext(req, seen);
        // After it, the callback is back in B's context.
        res.json({ lost, own, after: seen() });
      });
    });
    app.get('/release', (_req, res) => {
      setRequestContext({ user: { id: 'user-b' } });
      waiting.shift()!();
      res.json(seen());
    });
    const server = await listen(app);
    try {
      const a = fetch(`${server.url}/wait`);
      while (waiting.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const b = await fetch(`${server.url}/release`);
      const answerA = await a;
      return {
        idA: answerA.headers.get('x-tracking-id')!,
        idB: b.headers.get('x-tracking-id')!,
        a: (await answerA.json()) as Record<string, ReturnType<typeof seen>>,
        b: (await b.json()) as ReturnType<typeof seen>,
      };
    } finally {
      await server.close();
    }
  }

  describe('with the SDK', () => {
    let tracing: TestTracing;
    before(() => {
      tracing = enableTestTracing();
    });
    beforeEach(() => tracing.reset());

    it("gives a callback that lost its context the request's id, context and trace", async () => {
      const { idA, idB, a, b } = await poolExchange();
      assert.notEqual(idA, idB);
      assert.deepEqual(a.lost, { id: idB, user: 'user-b', trace: idB }, 'the pool lost A');
      assert.deepEqual(a.own, { id: idA, user: 'user-a', trace: idA });
      assert.deepEqual(a.after, a.lost);
      assert.deepEqual(b, { id: idB, user: 'user-b', trace: idB });
    });

    it("gives the request's own server span, not another request's span of the same trace", async () => {
      // A fan-out or a retry: two requests of one trace reach the service at once. A's callback
      // runs in B's context, whose active span is B's layer span, of A's trace too.
      const waiting: (() => void)[] = [];
      const app = createApp();
      app.use(trackingId());
      app.get('/wait', (req, res) => {
        const server = getRPCMetadata(context.active())!.span!.spanContext().spanId;
        waiting.push(() => {
          const lost = trace.getActiveSpan()?.spanContext().spanId;
          const own = runInRequestContext(req, () => trace.getActiveSpan()?.spanContext().spanId);
          res.json({ server, lost, own });
        });
      });
      app.get('/release', (_req, res) => {
        waiting.shift()!();
        res.end();
      });
      const server = await listen(app);
      try {
        const traceparent = (parent: string) => ({
          headers: { traceparent: `00-4bf92f3577b34da6a3ce929d0e0e4736-${parent}-01` },
        });
        const a = fetch(`${server.url}/wait`, traceparent('00f067aa0ba902b7'));
        while (waiting.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        await fetch(`${server.url}/release`, traceparent('00f067aa0ba902b8'));
        const seen = (await (await a).json()) as Record<string, string>;
        assert.notEqual(seen.lost, seen.server, 'the pool lost A');
        assert.equal(seen.own, seen.server);
      } finally {
        await server.close();
      }
    });

    it("keeps the active layer span when it is already the request's", async () => {
      const app = createApp();
      app.use(trackingId());
      app.get('/', (req, res) => {
        const active = trace.getActiveSpan();
        const inside = runInRequestContext(req, () => trace.getActiveSpan());
        res.json({ same: inside === active, id: runInRequestContext(req, getTrackingId) });
      });
      const server = await listen(app);
      try {
        const res = await fetch(`${server.url}/`);
        assert.deepEqual(await res.json(), { same: true, id: res.headers.get('x-tracking-id') });
      } finally {
        await server.close();
      }
    });
  });

  describe('without an SDK', () => {
    before(() => disableTestTracing());

    it("gives a callback that lost its context the request's id and context", async () => {
      const { idA, idB, a, b } = await poolExchange();
      assert.notEqual(idA, idB);
      assert.deepEqual(a.lost, { id: idB, user: 'user-b' });
      assert.deepEqual(a.own, { id: idA, user: 'user-a' });
      assert.deepEqual(a.after, a.lost);
      assert.deepEqual(b, { id: idB, user: 'user-b' });
    });
  });

  it('only calls the function for a request trackingId() never saw, and lets its error through', () => {
    const req = {} as Request;
    assert.equal(
      runInRequestContext(req, () => getTrackingId()),
      undefined,
    );
    assert.throws(
      () =>
        runInRequestContext(req, () => {
          throw new RangeError('inside');
        }),
      RangeError,
    );
  });
});
