/** One sample line of the Prometheus text format. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parsed Prometheus text exposition: samples plus `# TYPE` / `# UNIT` / `# HELP` metadata. */
export interface PromText {
  samples: PromSample[];
  types: Record<string, string>;
  units: Record<string, string>;
  help: Record<string, string>;
  /** Samples of one metric name, optionally filtered by labels. */
  find(name: string, labels?: Record<string, string>): PromSample[];
  /** The single sample matching `name` and `labels`; throws when none or several match. */
  value(name: string, labels?: Record<string, string>): number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function matches(sample: PromSample, labels: Record<string, string>): boolean {
  return Object.entries(labels).every(([k, v]) => sample.labels[k] === v);
}

/** Parses the Prometheus text format strictly enough for tests: an unreadable line throws. */
export function parsePrometheus(text: string): PromText {
  const samples: PromSample[] = [];
  const types: Record<string, string> = {};
  const units: Record<string, string> = {};
  const help: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE|UNIT) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      ({ HELP: help, TYPE: types, UNIT: units })[kind as 'HELP' | 'TYPE' | 'UNIT'][name] = rest;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`parsePrometheus: unreadable line ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(LABEL)) labels[k!] = unescape(v!);
    const raw = m[3]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    samples.push({ name: m[1]!, labels, value });
  }
  const find = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && matches(s, labels));
  return {
    samples,
    types,
    units,
    help,
    find,
    value(name, labels = {}) {
      const found = find(name, labels);
      if (found.length !== 1) {
        throw new Error(
          `parsePrometheus: ${found.length} samples of ${name} ${JSON.stringify(labels)}`,
        );
      }
      return found[0]!.value;
    },
  };
}
