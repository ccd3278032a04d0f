export interface TreeSpan {
  service: string;
  name: string;
  spanId: string;
  parentSpanId?: string;
  startNs: bigint;
  endNs: bigint;
  error: boolean;
  events: string[];
}

/** The trace as an indented tree: service, span name, duration, errors and events. */
export function renderTree(spans: TreeSpan[]): string[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | undefined, TreeSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  for (const list of children.values()) list.sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
  const out: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of children.get(parent) ?? []) {
      const ms = Number(span.endNs - span.startNs) / 1e6;
      const flags = [span.error ? 'ERROR' : '', ...span.events.map((e) => `event:${e}`)].filter(
        Boolean,
      );
      out.push(
        `${'  '.repeat(depth)}${depth ? '└─ ' : ''}[${span.service}] ${span.name}  ${ms.toFixed(1)} ms${flags.length ? `  ${flags.join(' ')}` : ''}`,
      );
      walk(span.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return out;
}
