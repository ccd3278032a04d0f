import assert from 'node:assert/strict';
import { metrics } from '@opentelemetry/api';
import express from 'express';
import request from 'supertest';
import { parsePrometheus } from '@ai-teams/test-utils';
import { METRIC_NAMES, metricsResourceAttributes, prometheusMetrics, requiredLabels } from '../src';
import { warningsOf } from './helpers';

async function scrape(handler: express.RequestHandler) {
  const app = express();
  app.get('/metrics', handler);
  const res = await request(app)
    .get('/metrics')
    .expect(200)
    .expect('content-type', /text\/plain/);
  return parsePrometheus(res.text);
}

const ENV_KEYS = ['OTEL_SERVICE_NAME', 'DEPLOYMENT_ENVIRONMENT', 'ENVIRONMENT', 'PROJECT'];

describe('prometheusMetrics()', () => {
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const k of ENV_KEYS) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
  });
  afterEach(() => {
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('puts environment, project and service on every series, from options', async () => {
    const p = prometheusMetrics({ serviceName: 'orders', environment: 'prod', project: 'p1' });
    const meter = p.meterProvider.getMeter('test');
    meter.createCounter('jobs').add(2, { kind: 'a' });
    meter.createHistogram('sizes').record(3);
    meter.createUpDownCounter('queue').add(-1);
    const text = await scrape(p.handler);
    const series = text.samples.filter((s) => s.name !== 'target_info');
    assert.ok(series.length > 5);
    for (const s of series) {
      assert.equal(s.labels.environment, 'prod', s.name);
      assert.equal(s.labels.project, 'p1', s.name);
      assert.equal(s.labels.service, 'orders', s.name);
      assert.equal(s.labels.otel_scope_name, undefined, 'no scope labels');
    }
    assert.equal(text.value('jobs_total', { kind: 'a' }), 2);
    const [target] = text.find('target_info');
    assert.equal(target!.labels.service_name, 'orders');
    assert.equal(target!.labels.deployment_environment_name, 'prod');
    await p.shutdown();
  });

  it('says what it sends: the Prometheus text format 0.0.4, in UTF-8', async () => {
    const p = prometheusMetrics({ serviceName: 'orders' });
    p.meterProvider.getMeter('test').createCounter('jobs').add(1, { kind: 'café "a"\\\n' });
    const app = express();
    app.get('/metrics', p.handler);
    const res = await request(app).get('/metrics').expect(200);
    assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(parsePrometheus(res.text).value('jobs_total', { kind: 'café "a"\\\n' }), 1);
    await p.shutdown();
  });

  // Prometheus takes a 200 without samples for a healthy target: up == 1, no scrape error.
  for (const how of ['shutdown()', 'meterProvider.shutdown()'] as const) {
    it(`answers 503 with the reason once the provider is shut down (${how})`, async () => {
      const p = prometheusMetrics({ serviceName: 'orders' });
      p.meterProvider.getMeter('test').createCounter('jobs').add(1);
      const app = express();
      app.get('/metrics', p.handler);
      await request(app).get('/metrics').expect(200);
      await (how === 'shutdown()' ? p.shutdown() : p.meterProvider.shutdown());
      const res = await request(app).get('/metrics').expect(503);
      assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal(res.text, 'metrics unavailable: MetricReader is shutdown\n');
    });
  }

  it('reads DEPLOYMENT_ENVIRONMENT, then ENVIRONMENT, PROJECT and OTEL_SERVICE_NAME', () => {
    process.env.ENVIRONMENT = 'staging';
    process.env.OTEL_SERVICE_NAME = 'from-env';
    assert.deepEqual(requiredLabels(), {
      environment: 'staging',
      project: 'starmates-ai-team',
      service: 'from-env',
    });
    process.env.DEPLOYMENT_ENVIRONMENT = 'prod';
    process.env.PROJECT = 'other';
    assert.deepEqual(requiredLabels(), {
      environment: 'prod',
      project: 'other',
      service: 'from-env',
    });
    delete process.env.OTEL_SERVICE_NAME;
    delete process.env.DEPLOYMENT_ENVIRONMENT;
    delete process.env.ENVIRONMENT;
    assert.deepEqual(requiredLabels(), {
      environment: 'dev', // as @ai-teams/telemetry's default
      project: 'other',
      service: 'unknown_service',
    });
  });

  it('gives @ai-teams/telemetry the same labels as resource attributes', () => {
    assert.deepEqual(
      metricsResourceAttributes({ serviceName: 's', environment: 'e', project: 'p' }),
      {
        'service.name': 's',
        'deployment.environment.name': 'e',
        environment: 'e',
        project: 'p',
        service: 's',
      },
    );
  });

  it('keeps at most cardinalityLimit series per metric and adds the rest to the overflow series', async () => {
    const p = prometheusMetrics({
      serviceName: 's',
      cardinalityLimit: 10,
      cardinalityLimits: { wide: 20 },
    });
    const meter = p.meterProvider.getMeter('test');
    const narrow = meter.createCounter('narrow');
    const wide = meter.createCounter('wide');
    for (let i = 0; i < 100; i++) {
      narrow.add(1, { id: String(i) });
      wide.add(1, { id: String(i) });
    }
    const text = await scrape(p.handler);
    const narrowSeries = text.find('narrow_total');
    assert.equal(narrowSeries.length, 10);
    assert.equal(text.value('narrow_total', { otel_metric_overflow: 'true' }), 91);
    assert.equal(
      narrowSeries.reduce((sum, s) => sum + s.value, 0),
      100,
      'nothing is lost, only merged',
    );
    assert.equal(text.find('wide_total').length, 20);
    assert.equal(text.value('wide_total', { otel_metric_overflow: 'true' }), 81);
    await p.shutdown();
  });

  it('bounds histograms by histogramCardinalityLimit, 50 attribute sets by default', async () => {
    const p = prometheusMetrics({ serviceName: 's' });
    const small = prometheusMetrics({ serviceName: 's', histogramCardinalityLimit: 5 });
    for (const provider of [p, small]) {
      const h = provider.meterProvider.getMeter('test').createHistogram('latency', {
        advice: { explicitBucketBoundaries: [1] },
      });
      for (let i = 0; i < 200; i++) h.record(0.5, { id: String(i) });
    }
    const text = await scrape(p.handler);
    assert.equal(text.find('latency_count').length, 50);
    assert.equal(text.value('latency_count', { otel_metric_overflow: 'true' }), 151);
    assert.equal(text.find('latency_bucket').length, 50 * 2);
    assert.equal((await scrape(small.handler)).find('latency_count').length, 5);
    await small.shutdown();
    await p.shutdown();
  });

  it('rejects a cardinality limit that is not an integer >= 2, naming the option', () => {
    assert.throws(() => prometheusMetrics({ cardinalityLimit: 0 }), {
      name: 'RangeError',
      message: /option "cardinalityLimit" must be an integer >= 2/,
    });
    assert.throws(() => prometheusMetrics({ cardinalityLimits: { request_count: 1.5 } }), {
      name: 'RangeError',
      message: /option "cardinalityLimits.request_count"/,
    });
  });

  it('warns about a cardinalityLimits name that is none of its instruments (a typo, a Prometheus name)', async () => {
    const providers: ReturnType<typeof prometheusMetrics>[] = [];
    const warnings = await warningsOf(() => {
      providers.push(
        prometheusMetrics({ cardinalityLimits: { request_cuont: 1000, request_count_total: 900 } }),
      );
    });
    assert.equal(warnings.length, 1, 'one warning for the call');
    assert.equal(warnings[0]!.code, 'AI_TEAMS_METRICS_CARDINALITY_LIMITS');
    assert.match(
      warnings[0]!.message,
      /option "cardinalityLimits" names "request_cuont", "request_count_total", not an instrument of @ai-teams\/otel-metrics/,
    );
    assert.ok(warnings[0]!.message.includes(METRIC_NAMES.join(', ')), 'it lists the names');
    const known = Object.fromEntries(METRIC_NAMES.map((name) => [name, 100]));
    assert.deepEqual(
      await warningsOf(() => providers.push(prometheusMetrics({ cardinalityLimits: known }))),
      [],
    );
    for (const p of providers) await p.shutdown();
  });

  it('registers globally only with global: true, and unregisters on shutdown', async () => {
    const local = prometheusMetrics({ serviceName: 's' });
    assert.notEqual(metrics.getMeterProvider(), local.meterProvider);
    await local.shutdown();
    const global = prometheusMetrics({ serviceName: 's', global: true });
    assert.equal(metrics.getMeterProvider(), global.meterProvider);
    await global.shutdown();
    assert.notEqual(metrics.getMeterProvider(), global.meterProvider);
  });
});
