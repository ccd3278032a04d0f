import type * as LezerPromql from '@prometheus-io/lezer-promql' with {
  'resolution-mode': 'import',
};

// The package is ESM with a CommonJS build beside it (dist/index.cjs); these tests are CommonJS.
const { parser } = require('@prometheus-io/lezer-promql') as typeof LezerPromql;

/** What one PromQL expression refers to. */
export interface PromqlRefs {
  /** Syntax errors (lezer error nodes), as the text around them. */
  errors: string[];
  /** Vector selectors: metric name and the label names its matchers use. */
  selectors: { metric: string; labels: string[] }[];
  /** `by (...)`/`without (...)` labels, with the metrics inside that aggregation. */
  groupings: { labels: string[]; metrics: string[] }[];
  /** `on (...)`/`ignoring (...)` labels of binary operations, with the metrics on both sides. */
  matchings: { labels: string[]; metrics: string[] }[];
}

/**
 * Grafana variables are not PromQL: interval variables become a duration, and `$var` inside a
 * quoted matcher value stays (it is just text in a string literal).
 */
export function substituteGrafanaVariables(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');
}

/** Parses an expression with Prometheus' own lezer grammar and lists what it refers to. */
export function promqlRefs(expr: string): PromqlRefs {
  const tree = parser.parse(expr);
  const refs: PromqlRefs = { errors: [], selectors: [], groupings: [], matchings: [] };
  const slice = (from: number, to: number): string => expr.slice(from, to);

  // Collects metric names of the vector selectors under a node.
  const metricsUnder = (from: number, to: number): string[] => {
    const names: string[] = [];
    tree.iterate({
      from,
      to,
      enter: (n) => {
        if (n.name === 'VectorSelector' && n.from >= from && n.to <= to) {
          const id = n.node.getChild('Identifier');
          names.push(id ? slice(id.from, id.to) : '{}');
        }
      },
    });
    return names;
  };

  tree.iterate({
    enter: (n) => {
      if (n.type.isError) {
        refs.errors.push(
          `at ${n.from}: ${JSON.stringify(slice(Math.max(0, n.from - 20), n.to + 20))}`,
        );
      } else if (n.name === 'VectorSelector') {
        const id = n.node.getChild('Identifier');
        const labels: string[] = [];
        const matchers = n.node.getChild('LabelMatchers');
        if (matchers) {
          for (const m of matchers.getChildren('UnquotedLabelMatcher')) {
            const name = m.getChild('LabelName');
            if (name) labels.push(slice(name.from, name.to));
          }
        }
        refs.selectors.push({ metric: id ? slice(id.from, id.to) : '', labels });
      } else if (n.name === 'AggregateExpr') {
        const grouping = n.node.getChild('AggregateModifier')?.getChild('GroupingLabels');
        if (grouping) {
          refs.groupings.push({
            labels: grouping.getChildren('LabelName').map((l) => slice(l.from, l.to)),
            metrics: metricsUnder(n.from, n.to),
          });
        }
      } else if (n.name === 'BinaryExpr') {
        const grouping = n.node.getChild('MatchingModifierClause')?.getChild('GroupingLabels');
        if (grouping) {
          refs.matchings.push({
            labels: grouping.getChildren('LabelName').map((l) => slice(l.from, l.to)),
            metrics: metricsUnder(n.from, n.to),
          });
        }
      }
    },
  });
  return refs;
}

/**
 * Problems of an expression against a catalogue of series and their labels: syntax errors,
 * unknown metric names, labels a metric does not have (in matchers, `by`, `on`).
 */
export function checkPromql(expr: string, catalogue: Map<string, Set<string>>): string[] {
  const refs = promqlRefs(substituteGrafanaVariables(expr));
  const problems = refs.errors.map((e) => `syntax error ${e}`);
  for (const { metric, labels } of refs.selectors) {
    const known = catalogue.get(metric);
    if (!known) {
      problems.push(`unknown metric ${JSON.stringify(metric)}`);
      continue;
    }
    for (const l of labels) {
      if (!known.has(l)) problems.push(`${metric} has no label ${l}`);
    }
  }
  for (const { labels, metrics } of [...refs.groupings, ...refs.matchings]) {
    for (const metric of metrics) {
      const known = catalogue.get(metric);
      for (const l of labels) {
        if (known && !known.has(l)) problems.push(`grouping by ${l}, which ${metric} lacks`);
      }
    }
  }
  return problems;
}

const COMPARISONS = new Set(['Gtr', 'Lss', 'Gte', 'Lte', 'Eql', 'Neq']);
const SET_OPERATORS = new Set(['And', 'Or', 'Unless']);
const NUMBERS = new Set(['NumberDurationLiteral', 'NumberLiteral']);

/**
 * The parts of an alert expression that must hold data for it ever to fire: the operands of
 * `and`/`or`/`unless`, each with a comparison against a number (`> 0.05`, `== 0`) taken off.
 * `x > 0.05 and y > 0.1` gives `x` and `y`.
 */
export function dataSides(expr: string): string[] {
  const visit = (node: SyntaxNodeLike): string[] => {
    const inner = node.name === 'PromQL' ? node.firstChild : node;
    if (!inner) return [];
    if (inner.name === 'BinaryExpr') {
      // Children: left operand, operator, modifiers (`bool`, `on (...)`), right operand.
      const [left, right] = [inner.firstChild, inner.lastChild];
      let op = left?.nextSibling;
      while (op && !COMPARISONS.has(op.name) && !SET_OPERATORS.has(op.name)) op = op.nextSibling;
      if (op && left && right && SET_OPERATORS.has(op.name))
        return [...visit(left), ...visit(right)];
      if (op && left && right && COMPARISONS.has(op.name)) {
        if (NUMBERS.has(right.name)) return visit(left);
        if (NUMBERS.has(left.name)) return visit(right);
      }
    }
    return [expr.slice(inner.from, inner.to)];
  };
  return visit(parser.parse(expr).topNode as SyntaxNodeLike);
}

/** The part of lezer's SyntaxNode that dataSides() walks. */
interface SyntaxNodeLike {
  name: string;
  from: number;
  to: number;
  firstChild: SyntaxNodeLike | null;
  lastChild: SyntaxNodeLike | null;
  nextSibling: SyntaxNodeLike | null;
}
