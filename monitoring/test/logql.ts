import type * as LezerLogql from '@grafana/lezer-logql' with { 'resolution-mode': 'import' };

// ESM with a CommonJS build beside it (index.cjs); these tests are CommonJS.
const { parser } = require('@grafana/lezer-logql') as typeof LezerLogql;

/** What one LogQL expression refers to, parsed with Grafana's own lezer grammar. */
export interface LogqlRefs {
  errors: string[];
  /** Labels of the stream selector `{...}`. */
  streamLabels: string[];
  /** Labels of `| label op "value"` filters (labels, structured metadata, parsed fields). */
  filterLabels: string[];
}

export function logqlRefs(expr: string): LogqlRefs {
  const refs: LogqlRefs = { errors: [], streamLabels: [], filterLabels: [] };
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.type.isError)
        refs.errors.push(`at ${n.from}: ${JSON.stringify(expr.slice(n.from, n.to + 20))}`);
      if (n.name !== 'Identifier' || n.node.parent?.name !== 'Matcher') return;
      const name = expr.slice(n.from, n.to);
      let up = n.node.parent.parent;
      while (up && up.name !== 'Selector' && up.name !== 'LabelFilter') up = up.parent;
      if (up?.name === 'Selector') refs.streamLabels.push(name);
      else refs.filterLabels.push(name);
    },
  });
  return refs;
}
