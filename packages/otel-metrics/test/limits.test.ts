import assert from 'node:assert/strict';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { prometheusMetrics, tagMeterProvider } from '../src';
import { AttributeSetLimit, limitOf } from '../src/limits';

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
    const overflow = { 'otel.metric.overflow': true };
    const sets = new AttributeSetLimit(3, overflow);
    const a = { k: 'a' };
    const b = { k: 'b' };
    assert.equal(sets.admit('a', a), a);
    assert.equal(sets.admit('b', b), b);
    assert.equal(sets.admit('c', { k: 'c' }), overflow);
    assert.equal(sets.admit('a', a), a, 'an admitted set stays');
    assert.equal(sets.admit('d', { k: 'd' }), overflow);
  });
});
