import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { parsePrometheus } from '@ai-teams/test-utils';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  businessMetrics,
  httpMetrics,
  prometheusMetrics,
  SUCCESS_RATE_BUCKETS,
  tagMeterProvider,
  type PrometheusMetricsOptions,
} from '../src';
import { serviceAttribute } from '../src/labels';
import { assertBounded } from './helpers';

type PrometheusLimits = Pick<
  PrometheusMetricsOptions,
  'cardinalityLimit' | 'histogramCardinalityLimit'
>;

function setup({ tokenTypes, ...limits }: { tokenTypes?: string[] } & PrometheusLimits = {}) {
  const p = prometheusMetrics({
    serviceName: 'svc',
    environment: 'test',
    project: 'proj',
    ...limits,
  });
  const b = businessMetrics({ meterProvider: p.meterProvider, serviceName: 'svc', tokenTypes });
  const app = express();
  app.get('/metrics', p.handler);
  const scrape = async () => parsePrometheus((await request(app).get('/metrics').expect(200)).text);
  return { p, b, scrape };
}

const REQUIRED = { environment: 'test', project: 'proj', service: 'svc' };

describe('businessMetrics()', () => {
  it('records api_key_usage_total, endpoint_usage_total and user_activity_total with their labels', async () => {
    const { p, b, scrape } = setup();
    b.recordApiKeyUsage({
      apiKeyId: 'k1',
      clientName: 'acme',
      endpoint: '/api/v1/x',
      success: true,
    });
    b.recordApiKeyUsage({
      apiKeyId: 'k1',
      clientName: 'acme',
      endpoint: '/api/v1/x',
      success: true,
    });
    b.recordEndpointUsage({ endpoint: '/api/v2/items/:id', userSegment: 'pro' });
    b.recordEndpointUsage({ endpoint: '/items', apiVersion: 'v9', userSegment: 'free' });
    b.recordUserActivity({ activityType: 'login' });
    const text = await scrape();
    assert.equal(text.types.api_key_usage_total, 'counter');
    assert.deepEqual(
      text.find('api_key_usage_total').map((s) => [s.labels, s.value]),
      [
        [
          {
            api_key_id: 'k1',
            client_name: 'acme',
            service_name: 'svc',
            endpoint: '/api/v1/x',
            success: 'true',
            ...REQUIRED,
          },
          2,
        ],
      ],
    );
    assert.deepEqual(
      text.find('endpoint_usage_total').map((s) => s.labels),
      [
        {
          service_name: 'svc',
          endpoint: '/api/v2/items/:id',
          api_version: 'v2',
          user_segment: 'pro',
          ...REQUIRED,
        },
        {
          service_name: 'svc',
          endpoint: '/items',
          api_version: 'v9',
          user_segment: 'free',
          ...REQUIRED,
        },
      ],
    );
    assert.deepEqual(text.find('user_activity_total')[0]!.labels, {
      activity_type: 'login',
      service_name: 'svc',
      ...REQUIRED,
    });
    await p.shutdown();
  });

  it('records workflow_success_rate as a histogram with the plan buckets', async () => {
    const { p, b, scrape } = setup();
    b.recordWorkflowSuccessRate({
      workflowType: 'onboarding',
      complexityLevel: 'high',
      rate: 0.85,
    });
    b.recordWorkflowSuccessRate({ workflowType: 'onboarding', complexityLevel: 'high', rate: 1 });
    const text = await scrape();
    assert.equal(text.types.workflow_success_rate, 'histogram');
    const buckets = text.find('workflow_success_rate_bucket');
    assert.deepEqual(
      buckets.map((s) => [s.labels.le, s.value]),
      [...SUCCESS_RATE_BUCKETS.map(String), '+Inf'].map((le) => [
        le,
        le === '0.9' || le === '0.95' || le === '0.99' ? 1 : le === '1' || le === '+Inf' ? 2 : 0,
      ]),
    );
    assert.equal(buckets[0]!.labels.workflow_type, 'onboarding');
    assert.equal(buckets[0]!.labels.complexity_level, 'high');
    assert.equal(text.value('workflow_success_rate_sum'), 1.85);
    await p.shutdown();
  });

  it('records ai_requests_total, ai_tokens_total by token type and ai_cost_total', async () => {
    const { p, b, scrape } = setup();
    b.recordAiRequest({
      model: 'gpt-x',
      provider: 'openai',
      tokens: { input: 100, output: 20 },
      cost: 0.5,
    });
    b.recordAiRequest({ model: 'gpt-x', provider: 'openai', tokens: { input: 1 }, cost: 0.25 });
    b.recordAiRequest({ model: 'claude', provider: 'anthropic' });
    const text = await scrape();
    assert.equal(text.value('ai_requests_total', { model: 'gpt-x', provider: 'openai' }), 2);
    assert.equal(text.value('ai_requests_total', { model: 'claude', provider: 'anthropic' }), 1);
    assert.equal(text.value('ai_tokens_total', { model: 'gpt-x', token_type: 'input' }), 101);
    assert.equal(text.value('ai_tokens_total', { model: 'gpt-x', token_type: 'output' }), 20);
    assert.equal(text.value('ai_cost_total', { model: 'gpt-x' }), 0.75);
    assert.equal(text.find('ai_cost_total', { model: 'claude' }).length, 0);
    for (const name of ['ai_requests_total', 'ai_tokens_total', 'ai_cost_total'])
      assert.equal(text.types[name], 'counter');
    assert.deepEqual(Object.keys(text.find('ai_cost_total')[0]!.labels).sort(), [
      'environment',
      'model',
      'project',
      'service',
    ]);
    await p.shutdown();
  });

  it('cuts label values at 128 characters, so one huge name cannot bloat every scrape', async () => {
    const { p, b, scrape } = setup();
    const huge = `model-${'x'.repeat(1_000_000)}`;
    b.recordAiRequest({ model: huge, provider: 'p'.repeat(500), tokens: { input: 1 } });
    b.recordUserActivity({ activityType: 'a'.repeat(10_000) });
    const text = await scrape();
    const [requests] = text.find('ai_requests_total');
    assert.equal(requests!.labels.model, huge.slice(0, 128));
    assert.equal(requests!.labels.provider!.length, 128);
    assert.equal(text.value('ai_tokens_total', { model: huge.slice(0, 128) }), 1);
    assert.equal(text.find('user_activity_total')[0]!.labels.activity_type!.length, 128);
    const body = (await request(express().get('/metrics', p.handler)).get('/metrics')).text;
    assert.ok(body.length < 20_000, `${body.length} characters of exposition`);
    await p.shutdown();
  });

  it('rejects invalid input with an error naming the field, and records nothing', async () => {
    const { p, b, scrape } = setup();
    const bad: [() => void, string, RegExp][] = [
      [
        () => b.recordAiRequest({ model: 'm', provider: 'p', tokens: { input: -1 } }),
        'RangeError',
        /"tokens.input" must be a finite number >= 0, got -1/,
      ],
      [
        () => b.recordAiRequest({ model: 'm', provider: 'p', tokens: { input: 5, cached: 1 } }),
        'TypeError',
        /unknown token type "tokens.cached"; accepted: input, output/,
      ],
      [
        () => b.recordAiRequest({ model: 'm', provider: 'p', cost: -0.1 }),
        'RangeError',
        /"cost" must be/,
      ],
      [
        () => b.recordAiRequest({ model: 'm', provider: 'p', cost: Number.NaN }),
        'TypeError',
        /"cost" must be a number/,
      ],
      [
        () => b.recordAiRequest({ model: '', provider: 'p' }),
        'TypeError',
        /"model" must be a non-empty string, got ""/,
      ],
      [
        () => b.recordAiRequest({ model: 'm', provider: 'p', tokens: 3 as never }),
        'TypeError',
        /"tokens" must be a plain object such as \{ input: 10, output: 20 \}, got 3/,
      ],
      [
        () => b.recordAiRequest({ model: 'm', provider: 'p', tokens: new Map() as never }),
        'TypeError',
        /"tokens" must be a plain object .*, got a Map/,
      ],
      [
        () => b.recordAiRequest({ model: 'm', provider: 'p', tokens: [] as never }),
        'TypeError',
        /"tokens" must be a plain object .*, got an array/,
      ],
      [
        () => b.recordWorkflowSuccessRate({ workflowType: 'w', complexityLevel: 'c', rate: 1.2 }),
        'RangeError',
        /"rate" must be between 0 and 1, got 1.2/,
      ],
      [
        () =>
          b.recordApiKeyUsage({
            apiKeyId: 'k',
            clientName: 'c',
            endpoint: '/e',
            success: 'yes' as never,
          }),
        'TypeError',
        /recordApiKeyUsage\(\): "success" must be a boolean/,
      ],
      [
        () => b.recordEndpointUsage({ endpoint: '/e' } as never),
        'TypeError',
        /"userSegment" must be a non-empty string, got undefined/,
      ],
      [() => b.recordUserActivity(undefined as never), 'TypeError', /"activityType"/],
    ];
    for (const [call, name, message] of bad) assert.throws(call, { name, message });
    const text = await scrape();
    assert.deepEqual(
      text.samples.filter((s) => s.name !== 'target_info'),
      [],
      'a rejected call records nothing, not even ai_requests_total',
    );
    await p.shutdown();
  });

  it('rejects a tokenTypes option that is not an array of non-empty strings, naming it', () => {
    for (const tokenTypes of ['input', ['input', ''], [1]]) {
      assert.throws(() => businessMetrics({ tokenTypes: tokenTypes as never }), {
        name: 'TypeError',
        message: /businessMetrics\(\): option "tokenTypes" must be an array of non-empty strings/,
      });
    }
  });

  it('labels service_name with the service of the prometheusMetrics() provider by default', async () => {
    const saved = process.env.OTEL_SERVICE_NAME;
    process.env.OTEL_SERVICE_NAME = 'from-env';
    try {
      const p = prometheusMetrics({ serviceName: 'orders' });
      const b = businessMetrics({ meterProvider: p.meterProvider });
      b.recordUserActivity({ activityType: 'login' });
      const app = express();
      app.get('/metrics', p.handler);
      const text = parsePrometheus((await request(app).get('/metrics').expect(200)).text);
      assert.equal(text.find('user_activity_total')[0]!.labels.service_name, 'orders');
      await p.shutdown();
    } finally {
      if (saved === undefined) delete process.env.OTEL_SERVICE_NAME;
      else process.env.OTEL_SERVICE_NAME = saved;
    }
  });

  it('accepts more token types through the tokenTypes option', async () => {
    const { p, b, scrape } = setup({ tokenTypes: ['input', 'output', 'cached'] });
    b.recordAiRequest({ model: 'm', provider: 'p', tokens: { cached: 7 } });
    assert.equal((await scrape()).value('ai_tokens_total', { token_type: 'cached' }), 7);
    await p.shutdown();
  });
});

describe('a provider whose exporter drops resource attributes (OTLP to the collector)', () => {
  it('puts service on every data point of httpMetrics() and businessMetrics()', async () => {
    const reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 3_600_000,
    });
    const provider = new MeterProvider({ readers: [reader] });
    tagMeterProvider(provider, {
      serviceName: 'pushed-svc',
      cardinalityLimit: 500,
      serviceLabel: true,
    });
    const b = businessMetrics({ meterProvider: provider });
    b.recordAiRequest({ model: 'm', provider: 'p', tokens: { input: 3 }, cost: 0.1 });
    b.recordWorkflowSuccessRate({ workflowType: 'w', complexityLevel: 'low', rate: 1 });
    b.recordUserActivity({ activityType: 'login' });
    const app = express();
    app.use(httpMetrics({ meterProvider: provider }));
    app.get('/x/:id', (_req, res) => {
      res.end();
    });
    app.get('/boom', (_req, res) => {
      res.status(500).end();
    });
    await request(app).get('/x/1').expect(200);
    await request(app).get('/boom').expect(500);
    const { resourceMetrics } = await reader.collect();
    const metrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const seen = new Set<string>();
    for (const m of metrics) {
      for (const p of m.dataPoints) {
        assert.equal(
          p.attributes.service,
          'pushed-svc',
          `${m.descriptor.name} ${JSON.stringify(p.attributes)}`,
        );
        seen.add(m.descriptor.name);
      }
    }
    assert.deepEqual([...seen].sort(), [
      'active_requests',
      'ai_cost_total',
      'ai_requests_total',
      'ai_tokens_total',
      'request_count',
      'request_duration_seconds',
      'request_errors_total',
      'user_activity_total',
      'workflow_success_rate',
    ]);
    await provider.shutdown();
  });

  it('leaves service to the constant labels of a Prometheus provider (no duplicate label)', async () => {
    const { p, b, scrape } = setup();
    b.recordUserActivity({ activityType: 'login' });
    const [series] = (await scrape()).find('user_activity_total');
    assert.equal(series!.labels.service, 'svc');
    // No data point attribute of its own beside the exporter's constant label.
    assert.deepEqual(serviceAttribute(p.meterProvider), {});
    await p.shutdown();
  });
  it('keeps each instrument within its limit over many scrapes, shared by every businessMetrics() of the provider', async () => {
    const { p, b: first, scrape } = setup({ cardinalityLimit: 5, histogramCardinalityLimit: 3 });
    const recorders = [
      first,
      businessMetrics({ meterProvider: p.meterProvider, serviceName: 'svc' }),
    ];
    let calls = 0;
    for (let round = 0; round < 10; round++) {
      for (let k = 0; k < 4; k++) {
        const b = recorders[k % 2]!;
        b.recordApiKeyUsage({
          apiKeyId: k === 0 ? 'first-key' : `key-${round}-${k}`,
          clientName: 'acme',
          endpoint: '/api/v1/x',
          success: true,
        });
        b.recordWorkflowSuccessRate({
          workflowType: k === 0 ? 'first' : `wf-${round}-${k}`,
          complexityLevel: 'low',
          rate: 1,
        });
        calls++;
      }
      const text = await scrape();
      assertBounded(text.find('api_key_usage_total'), 5, calls, `round ${round}, key uses`);
      assertBounded(
        text.find('workflow_success_rate_count'),
        3,
        calls,
        `round ${round}, workflow runs`,
      );
      assert.equal(text.value('api_key_usage_total', { api_key_id: 'first-key' }), round + 1);
      assert.equal(
        text.value('workflow_success_rate_count', { workflow_type: 'first' }),
        round + 1,
      );
    }
    await p.shutdown();
  });
});
