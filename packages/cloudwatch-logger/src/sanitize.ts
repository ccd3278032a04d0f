import { REDACTED } from './redact';

/** Returned for values that leave no field (`undefined`, functions, dropped by the budget). */
export const OMIT = Symbol('omit');

const MAX_DEPTH = 12;
const COUNT_LIMIT = 100_000;

/** Per-event state of one walk: the leaf budget and what the line lost. */
export interface Walk {
  /** Leaf fields still allowed. */
  remaining: number;
  /** Leaf fields dropped because the budget ran out. */
  dropped: number;
  /** Longest string kept whole. */
  maxString: number;
  redact: ((key: string) => boolean) | undefined;
}

export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  return detached(`${s.slice(0, max)}…[truncated ${s.length - max} chars]`);
}

/**
 * A copy of `s` that shares no memory with the string it was cut from. V8 makes a slice of a
 * long string a view into it, so a 16 KB cut of a 50 MB value would keep the 50 MB alive for
 * as long as the cut is held (a record waiting in an export queue). Only cut strings pay the
 * copy; UTF-16 round trip, so lone surrogates stay as they are.
 */
export function detached(s: string): string {
  return Buffer.from(s, 'utf16le').toString('utf16le');
}

function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '[Unprintable]';
  }
}

/** Leaves a dropped value would have used, counted without building anything. */
function countLeaves(value: unknown, seen: Set<object>, limit: { n: number }): number {
  if (value === null || typeof value !== 'object') return value === undefined ? 0 : 1;
  try {
    if (seen.has(value) || Buffer.isBuffer(value) || value instanceof Date) return 1;
  } catch {
    return 1; // a proxy whose prototype trap throws
  }
  seen.add(value);
  let n = 0;
  try {
    for (const k of Object.keys(value)) {
      if (--limit.n <= 0) break;
      n += countLeaves((value as Record<string, unknown>)[k], seen, limit);
    }
  } catch {
    n += 1;
  }
  seen.delete(value);
  return Math.max(n, 1); // an empty one is a leaf too (see sanitize)
}

/**
 * `out[key] = value`, except that a key `__proto__` (an own key JSON.parse makes) becomes a field
 * instead of replacing the copy's prototype and vanishing from the line.
 */
export function setField(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else out[key] = value;
}

function leaf(value: unknown, w: Walk): unknown {
  if (w.remaining <= 0) {
    w.dropped++;
    return OMIT;
  }
  w.remaining--;
  return value;
}

/**
 * A JSON-safe copy of `value`: never throws, never returns something JSON.stringify could
 * throw on or lose a line over. Circular references become '[Circular]', BigInt a string,
 * Buffers a length note, throwing getters '[Throws: …]', symbols their description.
 */
export function sanitize(value: unknown, w: Walk, depth = 0, stack: object[] = []): unknown {
  switch (typeof value) {
    case 'string':
      return leaf(value.length > w.maxString ? truncate(value, w.maxString) : value, w);
    case 'number':
    case 'boolean':
      return leaf(value, w);
    case 'bigint':
      return leaf(value.toString(), w);
    case 'symbol':
      return leaf(value.toString(), w);
    case 'undefined':
    case 'function':
      return OMIT;
  }
  if (value === null) return leaf(null, w);
  const obj = value as object;
  if (stack.includes(obj)) return leaf('[Circular]', w);
  try {
    if (Buffer.isBuffer(obj)) return leaf(`[Buffer ${obj.length} bytes]`, w);
    if (obj instanceof Date)
      return leaf(Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString(), w);
  } catch (err) {
    // instanceof asks a proxy's prototype trap, which may throw (a revoked proxy does)
    return leaf(`[Unserializable: ${describe((err as Error)?.message ?? err)}]`, w);
  }
  if (depth >= MAX_DEPTH) return leaf('[Depth limit]', w);
  if (w.remaining <= 0) {
    w.dropped += countLeaves(obj, new Set(stack), { n: COUNT_LIMIT });
    return OMIT;
  }
  stack.push(obj);
  const before = w.remaining;
  try {
    let out: unknown;
    if (Array.isArray(obj)) out = sanitizeArray(obj, w, depth, stack);
    else if (obj instanceof Error) out = sanitizeError(obj, w);
    else if (obj instanceof Map) out = sanitizeEntries(obj.entries(), w, depth, stack);
    else if (obj instanceof Set) out = sanitizeArray([...obj], w, depth, stack);
    else if (ArrayBuffer.isView(obj))
      return leaf(`[${obj.constructor.name} ${obj.byteLength} bytes]`, w);
    else out = sanitizeObject(obj as Record<string, unknown>, w, depth, stack);
    // An empty `{}` or `[]` is a value of the line like a leaf, and uses the budget as one: a
    // million of them in an array would otherwise make a line of millions of bytes.
    return w.remaining === before ? leaf(out, w) : out;
  } catch (err) {
    return leaf(`[Unserializable: ${describe((err as Error)?.message ?? err)}]`, w);
  } finally {
    stack.pop();
  }
}

function readItem(arr: unknown[], i: number): unknown {
  try {
    return arr[i];
  } catch (err) {
    return `[Throws: ${describe((err as Error)?.message)}]`;
  }
}

/**
 * An item that leaves no value (`undefined`, a hole, a function) is a `null` in the JSON, a
 * leaf like any other: so an array uses the budget whatever it holds. Once the budget is spent
 * the array ends there and its other items are counted, not padded with `null`: a long or sparse
 * array would otherwise make a line of millions of nulls, over the size limit (losing every
 * field to the last-resort line), after walking every index.
 */
function sanitizeArray(arr: unknown[], w: Walk, depth: number, stack: object[]): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < arr.length; i++) {
    if (w.remaining <= 0) {
      w.dropped += countItems(arr, i, stack);
      break;
    }
    const v = sanitize(readItem(arr, i), w, depth + 1, stack);
    out.push(v === OMIT ? leaf(null, w) : v);
  }
  return out;
}

/** Leaves the items of `arr` from `from` on would have used, within COUNT_LIMIT items and keys. */
function countItems(arr: unknown[], from: number, stack: object[]): number {
  // A hole, an `undefined` or a function item would have been a `null` leaf.
  return countRest(
    arr.length,
    (i) => {
      const item = readItem(arr, i);
      return item === undefined || typeof item === 'function' ? null : item;
    },
    from,
    stack,
  );
}

function readKey(obj: Record<string, unknown>, key: string): unknown {
  try {
    return obj[key];
  } catch (err) {
    return `[Throws: ${describe((err as Error)?.message)}]`;
  }
}

/**
 * Leaves the values `read(from)` to `read(length - 1)` would have used, within COUNT_LIMIT values
 * and keys in all. A function or an `undefined` leaves no field and counts for none.
 */
function countRest(
  length: number,
  read: (i: number) => unknown,
  from: number,
  stack: object[],
): number {
  const seen = new Set(stack);
  const limit = { n: COUNT_LIMIT };
  let n = 0;
  for (let i = from; i < length && limit.n-- > 0; i++) {
    const value = read(i);
    if (typeof value !== 'function') n += countLeaves(value, seen, limit);
  }
  return n;
}

function sanitizeObject(
  obj: Record<string, unknown>,
  w: Walk,
  depth: number,
  stack: object[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    // Once the budget is spent the object ends there, its other values counted (as an array's
    // are): walking a million more keys one by one to drop each took most of a second.
    if (w.remaining <= 0) {
      w.dropped += countRest(keys.length, (j) => readKey(obj, keys[j]!), i, stack);
      break;
    }
    const key = keys[i]!;
    if (w.redact?.(key)) {
      const v = leaf(REDACTED, w);
      if (v !== OMIT) out[key] = v;
      continue;
    }
    const v = sanitize(readKey(obj, key), w, depth + 1, stack);
    if (v !== OMIT) setField(out, key, v);
  }
  return out;
}

function sanitizeEntries(
  entries: Iterable<[unknown, unknown]>,
  w: Walk,
  depth: number,
  stack: object[],
): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  for (const [k, v] of entries) setField(obj, describe(k), v);
  return sanitizeObject(obj, w, depth, stack);
}

/** A nested Error (not the line's own error): name, message and code only. */
function sanitizeError(err: Error, w: Walk): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of [
    ['type', err.name],
    ['message', err.message],
    ['code', (err as { code?: unknown }).code],
  ] as const) {
    if (v === undefined) continue;
    const s = sanitize(typeof v === 'string' ? v : describe(v), w);
    if (s !== OMIT) out[k] = s;
  }
  return out;
}
