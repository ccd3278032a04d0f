import { ACCESS, accessLineRenderer } from './access-line';
import type { RenderConfig } from './config';
import { CONTEXT, enrich, type LineContext } from './context';
import { errorFields, findError, isError } from './errors';
import { LEVEL_LABEL, levelLabel } from './levels';
import { OMIT, sanitize, setField, truncate, type Walk } from './sanitize';
import { SOURCE, captureSource, type SourceFields } from './source';

type Info = Record<string | symbol, unknown>;

const SECTIONS = ['request', 'response', 'user', 'session', 'workflow', 'operation'] as const;
type Section = (typeof SECTIONS)[number];

/** The plan's flat `extra` keys and where they go. */
// No prototype: a field named `constructor` or `toString` is not a flat key.
type FlatTarget = [Section, string];
const FLAT = Object.create(null) as Record<string, FlatTarget>;
for (const [section, keys] of [
  ['request', ['method', 'path', 'route', 'duration', 'size', 'user_agent', 'ip']],
  ['response', ['status', 'size', 'content_type']],
  ['user', ['id', 'segment']],
  ['session', ['id', 'duration']],
  ['workflow', ['id', 'type', 'status']],
  ['operation', ['name', 'type', 'result', 'duration']],
] as const) {
  for (const key of keys) FLAT[`${section}_${key}`] = [section, key];
}

/** Record keys the core of the line consumes; never copied as extras. */
const RESERVED = new Set<string>([
  ...SECTIONS,
  'level',
  'message',
  'stack',
  'tracking_id',
  'trace_id',
  'span_id',
  'trace_flags',
  'tracing',
  'error',
  'err',
  'exception',
  'source',
  'service',
  '@timestamp',
  '@level',
  '@message',
]);
/** Own properties of the line's Error (winston copies them onto the record): in `error{}`. */
const ERROR_KEYS = new Set(['name', 'code', 'status', 'statusCode', 'category', 'cause']);

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  try {
    return !Array.isArray(v) && !isError(v);
  } catch {
    return false; // Array.isArray throws for a revoked proxy
  }
}

/**
 * Values walked of an object given as the message: it is outside the field budget, and a
 * million keys took seconds to walk for a message cut to a few KB. The default `maxFields`.
 */
export const MAX_MESSAGE_VALUES = 900;
/**
 * Values kept of a `source` object given in the call: it is kept whatever the field budget, as
 * the `{ module, function, line }` it stands for, and its values count against that budget.
 */
export const MAX_SOURCE_VALUES = 16;

function bounded(values: number, maxString: number, redact?: (key: string) => boolean): Walk {
  return { remaining: values, dropped: 0, maxString, redact };
}

/** A `source` object of the call: at most MAX_SOURCE_VALUES values, the others counted. */
function sourceOf(
  source: object,
  maxString: number,
  redact: ((key: string) => boolean) | undefined,
  lost: { dropped: number },
): Record<string, unknown> {
  const walk = bounded(MAX_SOURCE_VALUES, maxString, redact);
  const out = sanitize(source, walk) as Record<string, unknown>;
  lost.dropped += walk.dropped;
  return out;
}

/**
 * `@message`: a string as it is, anything else made printable (and redacted, as fields are).
 * `lost`: where the values an object's walk left out are counted (the line's walk).
 */
export function messageOf(
  m: unknown,
  maxString: number,
  redact?: (key: string) => boolean,
  lost?: { dropped: number },
): string {
  try {
    if (typeof m === 'string') return truncate(m, maxString);
    if (m === undefined || m === null) return '';
    if (isError(m)) return truncate(String(m.message), maxString);
    if (typeof m === 'object') {
      const walk = bounded(MAX_MESSAGE_VALUES, 256, redact);
      const json = JSON.stringify(sanitize(m, walk));
      if (lost) lost.dropped += walk.dropped;
      return truncate(json, maxString);
    }
    return truncate(String(m), maxString);
  } catch {
    return '[Unprintable]';
  }
}

function tracingOf(info: Info, ctx: LineContext): Record<string, string> | undefined {
  if (ctx.traceId) return { trace_id: ctx.traceId, span_id: ctx.spanId! };
  // No active span here, but the winston instrumentation injected the ids at the call.
  const t = info.trace_id;
  const s = info.span_id;
  if (typeof t === 'string' && HEX32.test(t))
    return typeof s === 'string' && HEX16.test(s) ? { trace_id: t, span_id: s } : { trace_id: t };
  return undefined;
}

function leaves(o: Record<string, unknown> | undefined): number {
  return o ? Object.keys(o).length : 0;
}

let lastMs = NaN;
let lastIso = '';
let lastSecond = NaN;
let secondPrefix = '';
/** ISO-8601 UTC with ms. Date's own formatting goes through snprintf: done once a second. */
function timestamp(ms: number): string {
  if (ms === lastMs) return lastIso;
  const second = Math.floor(ms / 1000);
  const fraction = ms - second * 1000;
  if (!Number.isInteger(ms) || ms < 0) lastIso = new Date(ms).toISOString();
  else {
    if (second !== lastSecond) {
      lastSecond = second;
      secondPrefix = new Date(second * 1000).toISOString().slice(0, 20); // …T12:34:56.
    }
    lastIso = `${secondPrefix}${fraction < 10 ? '00' : fraction < 100 ? '0' : ''}${fraction}Z`;
  }
  lastMs = ms;
  return lastIso;
}

/**
 * Turns a winston record into its CloudWatch JSON line (without the newline). Never throws.
 * `at`: the line's time (`cfg.clock()` when it is rendered, if not given).
 */
export function createRenderer(cfg: RenderConfig): (info: Info, at?: number) => string {
  const accessLine = accessLineRenderer(cfg);
  function build(info: Info, ctx: LineContext, ts: string, maxString: number) {
    // 5 core fields, and one kept back for log.dropped_fields.
    const w: Walk = { remaining: cfg.maxFields - 6, dropped: 0, maxString, redact: cfg.redact };
    const level = typeof info.level === 'string' ? info.level : 'info';
    const tracking = info.tracking_id;
    const out: Record<string, unknown> = {
      '@timestamp': ts,
      '@level': levelLabel(level),
      // The values an object message or a `source` object leave out are counted with the rest.
      '@message': messageOf(info.message, maxString, cfg.redact, w),
      service: cfg.service,
      tracking_id: typeof tracking === 'string' ? truncate(tracking, 64) : 'unknown',
    };
    // Core detail: kept whatever the field budget, and small by construction.
    const tracing = tracingOf(info, ctx);
    const err = findError(info);
    const ef = err ? errorFields(err, cfg.stackTrace, cfg.stackFrames, cfg.redact) : undefined;
    const coreWalk = bounded(Infinity, maxString);
    const src: Record<string, unknown> | undefined =
      (info[SOURCE] as (SourceFields & Record<string, unknown>) | undefined) ??
      (isPlainObject(info.source)
        ? sourceOf(info.source, maxString, cfg.redact, w)
        : cfg.source
          ? (captureSource() as (SourceFields & Record<string, unknown>) | undefined)
          : undefined);
    const error = ef && (sanitize(ef.error, coreWalk) as Record<string, unknown>);
    const exception = ef && (sanitize(ef.exception, coreWalk) as Record<string, unknown>);
    w.remaining -= leaves(tracing) + leaves(error) + leaves(exception) + leaves(src);

    // One pass over the record: flat plan keys into their sections, the rest as extras.
    let flat: Partial<Record<Section, Record<string, unknown>>> | undefined;
    const extras: string[] = [];
    for (const key of Object.keys(info)) {
      if (RESERVED.has(key)) continue;
      const target = FLAT[key];
      if (target) {
        flat ??= {};
        (flat[target[0]] ??= {})[target[1]] = info[key];
      } else if (!(err && ERROR_KEYS.has(key))) extras.push(key);
    }
    const sections: [string, unknown][] = [];
    for (const section of SECTIONS) {
      let own = info[section];
      if (typeof own === 'string') own = section === 'operation' ? { name: own } : { id: own };
      const f = flat?.[section];
      const merged = f ? (isPlainObject(own) ? { ...own, ...f } : f) : own;
      if (merged === undefined) continue;
      const v = sanitize(merged, w);
      if (v !== OMIT) sections.push([section, v]);
    }
    // A plain `error`/`exception` object passed in meta: detail, counted like any other field.
    if (!ef) {
      for (const key of ['error', 'exception'] as const) {
        if (info[key] === undefined) continue;
        const v = sanitize(info[key], w);
        if (v !== OMIT) sections.push([key, v]);
      }
    } else {
      sections.push(['error', error], ['exception', exception]);
    }
    if (src) sections.push(['source', src]);
    if (tracing) sections.push(['tracing', tracing]);
    for (const [k, v] of sections) out[k] = v;
    for (const key of extras) {
      let raw: unknown;
      try {
        raw = info[key];
      } catch (e) {
        raw = `[Throws: ${messageOf(e, 200)}]`;
      }
      if (cfg.redact?.(key)) raw = '[REDACTED]';
      const v = sanitize(raw, w);
      if (v !== OMIT) setField(out, key, v);
    }
    if (w.dropped > 0) {
      const log = isPlainObject(out.log) ? out.log : {};
      out.log = { ...log, dropped_fields: w.dropped };
    }
    return out;
  }

  /**
   * The last resort: the core fields alone, with a note. Every read guarded: a throw here leaves
   * the transport without its callback, and winston holds every later line behind this one.
   */
  function minimal(info: Info, ts: string, bytes: number, note: string): string {
    let level: unknown;
    let tracking: unknown;
    let m: unknown;
    try {
      level = info.level;
    } catch {
      level = undefined;
    }
    try {
      tracking = info.tracking_id;
    } catch {
      tracking = undefined;
    }
    try {
      m = info.message;
    } catch (e) {
      m = `[Throws: ${messageOf(e, 200)}]`;
    }
    const line = (message: string) =>
      JSON.stringify({
        '@timestamp': ts,
        '@level': LEVEL_LABEL[String(level)] ?? 'INFO',
        '@message': message,
        service: truncate(cfg.service, 64),
        tracking_id: typeof tracking === 'string' ? truncate(tracking, 64) : 'unknown',
        log: { truncated: true, original_bytes: bytes, note: truncate(note, 200) },
      });
    // The message cut until the line fits: escaped, a character can take 6 bytes or more.
    let message = messageOf(m, 1024, cfg.redact);
    let out = line(message);
    while (Buffer.byteLength(out) > cfg.maxEventBytes && message !== '') {
      message = message.length > 16 ? `${message.slice(0, message.length >> 1)}…` : '';
      out = line(message);
    }
    return out;
  }

  const max = cfg.maxEventBytes;
  const caps = [max >> 2, max >> 4, max >> 6, 64].filter((c) => c > 0);
  const fits = (line: string) => line.length * 3 <= max || Buffer.byteLength(line) <= max;

  return function render(info: Info, at?: number): string {
    const ts = timestamp(at ?? cfg.clock());
    try {
      const ctx = (info[CONTEXT] as LineContext | undefined) ?? enrich(info);
      if (info[ACCESS] === true) {
        const fast = accessLine(info, ctx, ts);
        if (fast !== undefined) return fast;
      }
      const line = JSON.stringify(build(info, ctx, ts, max));
      if (fits(line)) return line;
      for (const cap of caps) {
        const out = build(info, ctx, ts, cap);
        out.log = { ...(isPlainObject(out.log) ? out.log : {}), truncated: true };
        const smaller = JSON.stringify(out);
        if (fits(smaller)) return smaller;
      }
      return minimal(info, ts, Buffer.byteLength(line), 'event over maxEventBytes');
    } catch (e) {
      // Not expected (build guards every user value), but the line must still be written.
      return minimal(info, ts, -1, `render failed: ${messageOf(e, 200)}`);
    }
  };
}
