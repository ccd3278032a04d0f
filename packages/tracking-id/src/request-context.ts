import type { AttributeValue, Attributes } from '@opentelemetry/api';
import { currentStore } from './context';
import type { RequestContext } from './types';

const SECTIONS = ['user', 'session', 'workflow', 'operation'] as const;
const MAX_VALUE_LENGTH = 256;
const MAX_KEYS_PER_SECTION = 16;
const MAX_KEY_LENGTH = 64;

/**
 * Span attributes OpenTelemetry's conventions define as strings: a numeric id (a database row's)
 * goes on the span as its text, so `user.id = "42"` finds it in every request. The log line
 * keeps the value as given.
 */
const STRING_ATTRIBUTES = new Set([
  'user.id',
  'user.name',
  'user.full_name',
  'user.email',
  'user.hash',
  'session.id',
  'session.previous_id',
]);

function attributeValue(value: unknown): AttributeValue | undefined {
  if (typeof value === 'string') return value.slice(0, MAX_VALUE_LENGTH);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  // A BIGINT column's id (an ORM's bigint): no attribute, and no JSON line, takes a bigint.
  // Its text is bounded as a string is: 10n ** 400n must not put 401 digits on every line.
  if (typeof value === 'bigint') return value.toString().slice(0, MAX_VALUE_LENGTH);
  return undefined;
}

/** The own enumerable entries of a section, or none when reading it throws (a getter, a proxy). */
function entriesOf(values: object): [string, unknown][] {
  try {
    return Object.entries(values);
  } catch {
    return [];
  }
}

/**
 * Puts business context on the current request: span attributes `user.id`, `session.id`,
 * `workflow.type`, `operation.name`, … on its server span, and the same objects into every
 * later log line of the request (cloudwatch-logger reads them). Values are merged into what
 * was set before; strings are cut at 256 characters, at most 16 keys per section are kept and
 * keys longer than 64 characters are dropped. Anything else (a `null` patch, a section that
 * is not an object or whose properties throw when read) is ignored, never thrown.
 * Outside a request (no `trackingId()` middleware in the chain) it returns false.
 */
export function setRequestContext(patch: RequestContext): boolean {
  const store = currentStore();
  if (!store) return false;
  if (!patch || typeof patch !== 'object') return true;
  const attributes: Attributes = {};
  for (const section of SECTIONS) {
    let values: unknown;
    try {
      values = patch[section];
    } catch {
      continue;
    }
    if (!values || typeof values !== 'object') continue;
    const merged: Record<string, unknown> = { ...store.context[section] };
    let size = Object.keys(merged).length;
    for (const [key, raw] of entriesOf(values)) {
      if (key.length > MAX_KEY_LENGTH || key === '__proto__') continue;
      const known = Object.hasOwn(merged, key);
      if (!known && size >= MAX_KEYS_PER_SECTION) continue;
      const value = attributeValue(raw);
      if (value === undefined) continue;
      merged[key] = value;
      if (!known) size++;
      const name = `${section}.${key}`;
      attributes[name] = STRING_ATTRIBUTES.has(name) ? String(value) : value;
    }
    store.context = { ...store.context, [section]: merged };
  }
  if (store.serverSpan?.isRecording()) store.serverSpan.setAttributes(attributes);
  return true;
}
