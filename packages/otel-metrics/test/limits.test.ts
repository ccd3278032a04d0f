import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { businessMetrics, httpMetrics, prometheusMetrics, tagMeterProvider } from '../src';
import { AttributeSetLimit, limitOf } from '../src/limits';
import { tenantPaths } from './helpers';

describe('limitOf()', () => {
  it("reads a prometheusMetrics() provider's limits, a per-instrument view first", async () => {
    const p = prometheusMetrics({
      cardinalityLimit: 70,
      histogramCardinalityLimit: 7,
      cardinalityLimits: { request_duration_seconds: 9, ai_cost: 11 },
    });
    assert.equal(limitOf(p.meterProvider, 'request_duration_seconds', true), 9);
    assert.equal(limitOf(p.meterProvider, 'workflow_success_rate', true), 7);
    assert.equal(limitOf(p.meterProvider, 'ai_cost', false), 11);
    assert.equal(limitOf(p.meterProvider, 'request_errors', false), 70);
    await p.shutdown();
  });

  it('takes 400 per counter and 50 per histogram on a provider of unknown limits (the SDK reads 2000)', () => {
    const own = new MeterProvider();
    assert.equal(limitOf(own, 'request_errors', false), 400);
    assert.equal(limitOf(own, 'request_duration_seconds', true), 50);
    // A tag without a histogram limit (set by an older @ai-teams/telemetry): the default.
    tagMeterProvider(own, { serviceName: 's', cardinalityLimit: 30 });
    assert.equal(limitOf(own, 'request_errors', false), 30);
    assert.equal(limitOf(own, 'request_duration_seconds', true), 50);
  });
});

describe('AttributeSetLimit', () => {
  it('keeps the first limit - 1 sets for good and gives every later one the overflow set', () => {
    const sets = new AttributeSetLimit(3, {});
    const a = { k: 'a' };
    const b = { k: 'b' };
    assert.equal(sets.admit('a', a), a);
    assert.equal(sets.admit('b', b), b);
    assert.deepEqual(sets.admit('c', { k: 'c' }), { 'otel.metric.overflow': true });
    assert.equal(sets.admit('a', a), a, 'an admitted set stays');
    assert.deepEqual(sets.admit('d', { k: 'd' }), { 'otel.metric.overflow': true });
  });

  it('keeps one set fewer where its overflow set carries service (OTLP), which the SDK would fold', () => {
    const sets = new AttributeSetLimit(3, { service: 'svc' });
    const a = { k: 'a' };
    assert.equal(sets.admit('a', a), a);
    assert.deepEqual(sets.admit('b', { k: 'b' }), { 'otel.metric.overflow': true, service: 'svc' });
  });
});

describe('limits on a provider pushing over OTLP (data points carry service)', () => {
  it('keeps every metric within its limit over many collections, with one overflow series that carries service', async () => {
    const reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 3_600_000,
      cardinalityLimits: { default: 5, histogram: 4 },
    });
    const provider = new MeterProvider({ readers: [reader] });
    tagMeterProvider(provider, {
      serviceName: 'svc',
      cardinalityLimit: 5,
      histogramCardinalityLimit: 4,
      serviceLabel: true,
    });
    const b = businessMetrics({ meterProvider: provider });
    const app = express();
    app.use(httpMetrics({ meterProvider: provider }));
    app.get('/r/:n', (_req, res) => {
      res.status(500).end();
    });
    const mount = express.Router();
    mount.get('/x', (_req, res) => {
      res.status(500).end();
    });
    app.use(
      tenantPaths(24, (i) => `${Math.floor(i / 4)}-${i % 4}`),
      mount,
    ); // a new endpoint per tenant
    let calls = 0;
    for (let round = 0; round < 6; round++) {
      for (let k = 0; k < 4; k++) {
        b.recordUserActivity({ activityType: `a-${round}-${k}` });
        await request(app).get(`/t/${round}-${k}/x`).expect(500);
        calls++;
      }
      const { resourceMetrics } = await reader.collect();
      for (const m of resourceMetrics.scopeMetrics.flatMap((s) => s.metrics)) {
        const name = m.descriptor.name;
        const limit = name === 'request_duration_seconds' ? 4 : 5;
        assert.ok(m.dataPoints.length <= limit, `${name}: ${m.dataPoints.length} sets`);
        const overflow = m.dataPoints.filter((p) => p.attributes['otel.metric.overflow']);
        assert.ok(overflow.length <= 1, `${name}: ${overflow.length} overflow series`);
        for (const p of overflow) assert.equal(p.attributes.service, 'svc', name);
        if (name === 'user_activity' || name === 'request_errors') {
          const total = m.dataPoints.reduce((sum, p) => sum + (p.value as number), 0);
          assert.equal(total, calls, name);
        }
      }
    }
    await provider.shutdown();
  });
});
