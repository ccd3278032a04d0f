/** Input checks of the business recorders: they throw before anything is recorded. */

/**
 * Longest label value kept, as for httpMetrics' `endpoint`. Values come from callers (a model
 * name from an API answer, a client name): a megabyte one would be a megabyte on every scrape,
 * and Grafana Cloud refuses series with label values over 2048 characters.
 */
export const MAX_LABEL_LENGTH = 128;

/** A label value: a non-empty string, cut at MAX_LABEL_LENGTH. */
export function text(fn: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${fn}: "${field}" must be a non-empty string, got ${describe(value)}`);
  }
  return cutLabel(value);
}

/** `value` cut at MAX_LABEL_LENGTH. */
export function cutLabel(value: string): string {
  // Copied: a slice of a long string keeps the whole of it alive for as long as the series.
  return value.length > MAX_LABEL_LENGTH
    ? Buffer.from(value.slice(0, MAX_LABEL_LENGTH), 'utf16le').toString('utf16le')
    : value;
}

export function flag(fn: string, field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new TypeError(`${fn}: "${field}" must be a boolean, got ${describe(value)}`);
  }
  return value;
}

export function amount(fn: string, field: string, value: unknown, max = Infinity): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${fn}: "${field}" must be a number, got ${describe(value)}`);
  }
  if (value < 0 || value > max || !Number.isFinite(value)) {
    const range = max === Infinity ? 'a finite number >= 0' : `between 0 and ${max}`;
    throw new RangeError(`${fn}: "${field}" must be ${range}, got ${value}`);
  }
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Map) return 'a Map';
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : String(value);
}
