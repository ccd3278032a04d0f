import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { businessMetrics, httpMetrics, prometheusMetrics } from '../src';

// Plain JavaScript (or a config file) can hand any value to any option: each wrong one must fail
// at creation with a TypeError naming the option and the value, not on every request.
const wrong = (value: unknown) => value as never;

function throwsNaming(make: () => unknown, message: RegExp): void {
  assert.throws(make, (err: Error) => err instanceof TypeError && message.test(err.message));
}

describe('options checked at creation', () => {
  let prom: ReturnType<typeof prometheusMetrics>;
  beforeEach(() => {
    prom = prometheusMetrics({ serviceName: 'svc' });
  });
  afterEach(() => prom.shutdown());

  it('rejects a clock that is not a function at creation, not with a 500 per request', async () => {
    const app = express();
    let made = true;
    try {
      app.use(httpMetrics({ meterProvider: prom.meterProvider, now: wrong(42) }));
    } catch (err) {
      made = false;
      assert.ok(err instanceof TypeError);
      assert.match(err.message, /httpMetrics\(\): option "now" must be a function, got 42/);
    }
    app.get('/x', (_req, res) => res.send('ok'));
    const res = await request(app).get('/x');
    assert.equal(res.status, 200, 'a request through the app still fails');
    assert.equal(made, false);
  });

  it('names the option and the value for wrong httpMetrics() options', () => {
    const meterProvider = prom.meterProvider;
    throwsNaming(
      () => httpMetrics({ meterProvider, userIdLabel: wrong('x-user-id') }),
      /option "userIdLabel" must be a function, got "x-user-id"/,
    );
    throwsNaming(
      () => httpMetrics({ meterProvider, trackingIdLabel: wrong('false') }),
      /option "trackingIdLabel" must be true or false, got "false"/,
    );
    throwsNaming(
      () => httpMetrics({ meterProvider, serviceName: wrong(7) }),
      /option "serviceName" must be a string, got 7/,
    );
    throwsNaming(
      () => httpMetrics({ meterProvider: wrong(prom) }),
      /httpMetrics\(\): option "meterProvider" must be a MeterProvider .*got an object/,
    );
  });

  it('names the option and the value for wrong businessMetrics() options', () => {
    throwsNaming(
      () => businessMetrics({ meterProvider: wrong('global') }),
      /businessMetrics\(\): option "meterProvider" must be a MeterProvider .*got "global"/,
    );
    throwsNaming(
      () => businessMetrics({ meterProvider: prom.meterProvider, serviceName: wrong(['a']) }),
      /option "serviceName" must be a string, got an array/,
    );
  });
});
