import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { at, text } from './paths';

interface Target {
  expr?: string;
  query?: string;
  datasource?: { type?: string; uid?: string };
}
export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string };
  targets?: Target[];
  panels?: Panel[];
}
export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: {
    list: {
      name: string;
      type: string;
      query: unknown;
      datasource?: { type?: string };
      includeAll?: boolean;
      allValue?: string;
      current?: { value?: unknown };
    }[];
  };
}

/** The dashboard files of monitoring/grafana/dashboards. */
export const files = readdirSync(at('grafana', 'dashboards')).filter((f) => f.endsWith('.json'));
export const load = (f: string): Dashboard =>
  JSON.parse(text('grafana', 'dashboards', f)) as Dashboard;
export const panelsOf = (d: Dashboard): Panel[] =>
  d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

/** Every PromQL expression of a dashboard: Prometheus targets and query variables. */
export function promqlOf(d: Dashboard): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const p of panelsOf(d)) {
    for (const t of p.targets ?? []) {
      const type = t.datasource?.type ?? p.datasource?.type;
      if (type === 'prometheus' && t.expr) out.push({ where: `panel "${p.title}"`, expr: t.expr });
    }
  }
  for (const v of d.templating.list) {
    if (v.type !== 'query' || v.datasource?.type !== 'prometheus') continue;
    const q = (v.query as { query: string }).query;
    // label_values(<selector>, <label>): the selector is PromQL, the label must be on it.
    const m = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(q);
    assert.ok(m, `variable ${v.name}: unexpected query ${q}`);
    out.push({ where: `variable ${v.name}`, expr: m[1]! });
    out.push({ where: `variable ${v.name} label`, expr: `sum by (${m[2]}) (${m[1]})` });
  }
  return out;
}
