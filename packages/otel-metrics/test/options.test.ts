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

  it('names the option and the value for wrong prometheusMetrics() options', () => {
    throwsNaming(
      () => prometheusMetrics({ serviceName: wrong(42) }),
      /prometheusMetrics\(\): option "serviceName" must be a string, got 42/,
    );
    throwsNaming(
      () => prometheusMetrics({ environment: wrong(['prod']) }),
      /option "environment" must be a string, got an array/,
    );
    throwsNaming(
      () => prometheusMetrics({ project: wrong({}) }),
      /option "project" must be a string, got an object/,
    );
    throwsNaming(
      () => prometheusMetrics({ global: wrong('yes') }),
      /option "global" must be true or false, got "yes"/,
    );
    throwsNaming(
      () => prometheusMetrics({ resourceAttributes: wrong('team=core') }),
      /option "resourceAttributes" must be an object of attribute values.*got "team=core"/,
    );
    throwsNaming(
      () => prometheusMetrics({ resourceAttributes: wrong({ team: { name: 'core' } }) }),
      /option "resourceAttributes.team" must be a string, number or boolean, got an object/,
    );
    throwsNaming(
      () => prometheusMetrics({ cardinalityLimits: wrong('abc') }),
      /option "cardinalityLimits" must be an object of instrument names to limits.*got "abc"/,
    );
  });

  it('keeps number and boolean resource attributes and leaves out undefined or null ones', async () => {
    // As before the check: a config read with JSON.parse has numbers, and an unset environment
    // variable (`{ region: process.env.AWS_REGION }`) is left out, as resourceFromAttributes does.
    const config = JSON.parse('{"team":"core","replica":3,"canary":false,"zone":null}') as Record<
      string,
      string | number | boolean | undefined
    >;
    const made = prometheusMetrics({
      serviceName: 'svc3',
      resourceAttributes: { ...config, region: undefined },
    });
    try {
      const app = express();
      app.get('/metrics', made.handler);
      const text = (await request(app).get('/metrics').expect(200)).text;
      const info = text.split('\n').find((line) => line.startsWith('target_info{'));
      assert.ok(info, text);
      assert.match(info, /team="core"/);
      assert.match(info, /replica="3"/);
      assert.match(info, /canary="false"/);
      assert.doesNotMatch(info, /zone=|region=/);
    } finally {
      await made.shutdown();
    }
  });

  it('rejects options that are not an object, naming the factory', () => {
    throwsNaming(
      () => prometheusMetrics(wrong('api-gateway')),
      /prometheusMetrics\(\): options must be an object .*got "api-gateway"/,
    );
    throwsNaming(
      () => httpMetrics(wrong(42)),
      /httpMetrics\(\): options must be an object .*got 42/,
    );
    throwsNaming(
      () => businessMetrics(wrong(['input'])),
      /businessMetrics\(\): options must be an object .*got an array/,
    );
  });

  it('keeps the defaults for null options and null or undefined ones', async () => {
    const other = prometheusMetrics(wrong(null));
    const labelled = prometheusMetrics({
      serviceName: 'svc2',
      environment: wrong(null),
      global: undefined,
      resourceAttributes: wrong(null),
      cardinalityLimits: undefined,
    });
    // Null options read the global provider: no AI_TEAMS_METRICS_NO_PROVIDER warning here, as
    // the process warns once and no-provider.test.ts expects it.
    const disabled = process.env.OTEL_SDK_DISABLED;
    process.env.OTEL_SDK_DISABLED = 'true';
    try {
      const app = express();
      app.use(httpMetrics(wrong(null)));
      app.use(httpMetrics({ meterProvider: labelled.meterProvider }));
      app.get('/x', (_req, res) => res.send('ok'));
      await request(app).get('/x').expect(200);
      businessMetrics(wrong(null));
      const app2 = express();
      app2.get('/metrics', labelled.handler);
      const text = (await request(app2).get('/metrics').expect(200)).text;
      assert.match(text, /^request_count_total\{.*service="svc2"/m);
    } finally {
      if (disabled === undefined) delete process.env.OTEL_SDK_DISABLED;
      else process.env.OTEL_SDK_DISABLED = disabled;
      await other.shutdown();
      await labelled.shutdown();
    }
  });
});
