import type { Attributes } from '@opentelemetry/api';
import { apiVersionOf } from './endpoint';
import { serviceAttribute, serviceNameLabel } from './labels';
import { keyOf, setLimitOf } from './limits';
import { METER_NAME, METER_VERSION, METRIC, SUCCESS_RATE_BUCKETS } from './names';
import { checkOptionsObject, checkOptionTypes } from './option-check';
import { providerFor } from './provider';
import type { BusinessMetricsOptions } from './types';
import { amount, describe, flag, isPlainObject, text } from './validate';

/** One use of an API key: `api_key_usage_total`. */
export interface ApiKeyUsage {
  /** The key's id (never the key itself). */
  apiKeyId: string;
  /** The calling client's name: the `client_name` label. */
  clientName: string;
  /** Route template, e.g. `/api/v1/sessions/:id`. */
  endpoint: string;
  /** Whether the call succeeded: the `success` label, `"true"` or `"false"`. */
  success: boolean;
}

/** One call of an endpoint by a user segment: `endpoint_usage_total`. */
export interface EndpointUsage {
  /** Route template, e.g. `/api/v1/sessions/:id`: the `endpoint` label. */
  endpoint: string;
  /**
   * The `api_version` label.
   * @default taken from the endpoint (`v1`, `v2`, …), else 'none'
   */
  apiVersion?: string | undefined;
  /** A small set such as `free`, `pro`, `enterprise`. */
  userSegment: string;
}

/** One user action: `user_activity_total`. */
export interface UserActivity {
  /** A small set such as `login`, `create_session`: the `activity_type` label. */
  activityType: string;
}

/** One workflow run's success rate (0..1): `workflow_success_rate`. */
export interface WorkflowSuccessRate {
  /** The `workflow_type` label. */
  workflowType: string;
  /** A small set such as `simple`, `complex`: the `complexity_level` label. */
  complexityLevel: string;
  /** Fraction of the workflow's steps that succeeded, 0..1. */
  rate: number;
}

/** One AI model call: `ai_requests_total`, `ai_tokens_total`, `ai_cost_total`. */
export interface AiRequest {
  /** Model name, e.g. `gpt-4o`: the `model` label. */
  model: string;
  /** Provider, e.g. `openai`: the `provider` label. */
  provider: string;
  /** Token counts by type (`input`, `output` by default); each >= 0. */
  tokens?: Record<string, number> | undefined;
  /** Cost in US dollars, >= 0. */
  cost?: number | undefined;
}

/** The recorders `businessMetrics()` returns. Each validates first and records all or nothing. */
export interface BusinessMetrics {
  /** `api_key_usage_total` +1. A missing or wrong field is a TypeError and records nothing. */
  recordApiKeyUsage(usage: ApiKeyUsage): void;
  /** `endpoint_usage_total` +1. A missing or wrong field is a TypeError and records nothing. */
  recordEndpointUsage(usage: EndpointUsage): void;
  /** `user_activity_total` +1. A missing or wrong field is a TypeError and records nothing. */
  recordUserActivity(activity: UserActivity): void;
  /** One `workflow_success_rate` observation; a `rate` outside 0..1 is a RangeError. */
  recordWorkflowSuccessRate(run: WorkflowSuccessRate): void;
  /**
   * `ai_requests_total` +1, `ai_tokens_total` +n per token type, `ai_cost_total` +cost. An
   * unknown token type is a TypeError, a negative count or cost a RangeError; nothing is recorded.
   */
  recordAiRequest(call: AiRequest): void;
}

/** Typed recorders for the plan's business and AI metrics. */
export function businessMetrics(options: BusinessMetricsOptions = {}): BusinessMetrics {
  checkOptionsObject('businessMetrics', options);
  options ??= {};
  const types = options.tokenTypes ?? ['input', 'output'];
  // A string would be taken character by character ('input' → i, n, p, u, t).
  if (!Array.isArray(types) || !types.every((t) => typeof t === 'string' && t !== '')) {
    throw new TypeError(
      `businessMetrics(): option "tokenTypes" must be an array of non-empty strings, e.g. ['input', 'output', 'cached']`,
    );
  }
  const tokenTypes = new Set(types);
  checkOptionTypes('businessMetrics', options, { serviceName: 'string' });
  const provider = providerFor('businessMetrics', options.meterProvider);
  const serviceName = serviceNameLabel(options.serviceName, provider);
  // `service` on each data point where the exporter drops the resource's (OTLP mode).
  const service = serviceAttribute(provider);
  const meter = provider.getMeter(METER_NAME, METER_VERSION);
  // Each adds or records through the instrument's AttributeSetLimit on this provider: the
  // SDK's own limit bounds only the sets of one collection (see limits.ts).
  const counter = (name: string, description: string) => {
    const instrument = meter.createCounter(name, { description });
    const sets = setLimitOf(provider, name);
    return (value: number, attributes: Attributes) =>
      instrument.add(value, sets.admit(keyOf(attributes), attributes));
  };
  const apiKeyUsage = counter(
    METRIC.apiKeyUsage,
    'API key uses, by key id, client, endpoint and success.',
  );
  const endpointUsage = counter(METRIC.endpointUsage, 'Endpoint calls by user segment.');
  const userActivity = counter(METRIC.userActivity, 'User actions by activity type.');
  const successRate = meter.createHistogram(METRIC.workflowSuccessRate, {
    description: 'Success rate (0..1) of each workflow run.',
    advice: { explicitBucketBoundaries: SUCCESS_RATE_BUCKETS },
  });
  const successRateSets = setLimitOf(provider, METRIC.workflowSuccessRate, true);
  const workflowSuccessRate = (value: number, attributes: Attributes) =>
    successRate.record(value, successRateSets.admit(keyOf(attributes), attributes));
  const aiRequests = counter(METRIC.aiRequests, 'AI model requests, by model and provider.');
  const aiTokens = counter(METRIC.aiTokens, 'AI tokens used, by model and token type.');
  const aiCost = counter(METRIC.aiCost, 'AI cost in US dollars, by model.');

  return {
    recordApiKeyUsage(usage) {
      const fn = 'recordApiKeyUsage()';
      apiKeyUsage(1, {
        api_key_id: text(fn, 'apiKeyId', usage?.apiKeyId),
        client_name: text(fn, 'clientName', usage.clientName),
        service_name: serviceName,
        endpoint: text(fn, 'endpoint', usage.endpoint),
        success: String(flag(fn, 'success', usage.success)),
        ...service,
      });
    },
    recordEndpointUsage(usage) {
      const fn = 'recordEndpointUsage()';
      const endpoint = text(fn, 'endpoint', usage?.endpoint);
      const apiVersion =
        usage.apiVersion === undefined
          ? apiVersionOf(endpoint)
          : text(fn, 'apiVersion', usage.apiVersion);
      endpointUsage(1, {
        service_name: serviceName,
        endpoint,
        api_version: apiVersion,
        user_segment: text(fn, 'userSegment', usage.userSegment),
        ...service,
      });
    },
    recordUserActivity(activity) {
      userActivity(1, {
        activity_type: text('recordUserActivity()', 'activityType', activity?.activityType),
        service_name: serviceName,
        ...service,
      });
    },
    recordWorkflowSuccessRate(run) {
      const fn = 'recordWorkflowSuccessRate()';
      const attributes = {
        workflow_type: text(fn, 'workflowType', run?.workflowType),
        complexity_level: text(fn, 'complexityLevel', run.complexityLevel),
        ...service,
      };
      workflowSuccessRate(amount(fn, 'rate', run.rate, 1), attributes);
    },
    recordAiRequest(call) {
      const fn = 'recordAiRequest()';
      const model = text(fn, 'model', call?.model);
      const provider = text(fn, 'provider', call.provider);
      // Object.entries reads own keys only: a Map or an empty array would record no tokens.
      if (call.tokens !== undefined && !isPlainObject(call.tokens)) {
        throw new TypeError(
          `${fn}: "tokens" must be a plain object such as { input: 10, output: 20 }, got ${describe(call.tokens)}`,
        );
      }
      const tokens = Object.entries(call.tokens ?? {}).map(([type, count]) => {
        if (!tokenTypes.has(type)) {
          throw new TypeError(
            `${fn}: unknown token type "tokens.${type}"; accepted: ${[...tokenTypes].join(', ')} (option "tokenTypes")`,
          );
        }
        return [type, amount(fn, `tokens.${type}`, count)] as const;
      });
      const cost = call.cost === undefined ? undefined : amount(fn, 'cost', call.cost);
      aiRequests(1, { model, provider, ...service });
      for (const [type, count] of tokens) {
        aiTokens(count, { model, token_type: type, ...service });
      }
      if (cost !== undefined) aiCost(cost, { model, ...service });
    },
  };
}
