import type { AttributeValue, Attributes } from '@opentelemetry/api';
import { currentStore } from './context';
import type { RequestContext } from './types';

const SECTIONS = ['user', 'session', 'workflow', 'operation'] as const;
const MAX_VALUE_LENGTH = 256;
const MAX_KEYS_PER_SECTION = 16;

function attributeValue(value: unknown): AttributeValue | undefined {
  if (typeof value === 'string') return value.slice(0, MAX_VALUE_LENGTH);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return undefined;
}

/**
 * Puts business context on the current request: span attributes `user.id`, `session.id`,
 * `workflow.type`, `operation.name`, … on its server span, and the same objects into every
 * later log line of the request (cloudwatch-logger reads them). Values are merged into what
 * was set before; strings are cut at 256 characters and at most 16 keys per section are kept.
 * Outside a request (no `trackingId()` middleware in the chain) it returns false.
 */
export function setRequestContext(patch: RequestContext): boolean {
  const store = currentStore();
  if (!store) return false;
  const attributes: Attributes = {};
  for (const section of SECTIONS) {
    const values = patch[section];
    if (!values || typeof values !== 'object') continue;
    const merged: Record<string, unknown> = { ...store.context[section] };
    for (const [key, raw] of Object.entries(values)) {
      if (!(key in merged) && Object.keys(merged).length >= MAX_KEYS_PER_SECTION) continue;
      const value = attributeValue(raw);
      if (value === undefined) continue;
      merged[key] = value;
      attributes[`${section}.${key}`] = value;
    }
    store.context = { ...store.context, [section]: merged };
  }
  if (store.serverSpan?.isRecording()) store.serverSpan.setAttributes(attributes);
  return true;
}
