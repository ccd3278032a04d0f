import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PromSample } from '@ai-teams/test-utils';
import { stringify } from 'yaml';
import { files, load, promqlOf } from './dashboards';
import { EXPOSITION, realExposition } from './exposition';
import { text, yamlFile } from './paths';
import { dataSides } from './promql';
import { ensureDebianTools, runPromtool } from './tools';

// The name checks (dashboards.test.ts, prometheus.test.ts) see metric and label names only. A
// query can use both right and still never return data: a label value nothing has
// (`status_code="5xx"`, a `job` no scrape config is named), an `le` bucket that does not exist,
// `histogram_quantile` without `le` in its `by`. So every query is evaluated by promtool over
// the series Prometheus would hold: the real /metrics of @ai-teams/otel-metrics, scraped by
// the job of prometheus.yml that scrapes the services, and Prometheus' own series of each job.

interface ScrapeConfig {
  job_name: string;
  file_sd_configs?: { files: string[] }[];
}
const scrapeConfigs: ScrapeConfig[] = yamlFile('prometheus.yml').scrape_configs;
const targetsOf = (c: ScrapeConfig): { targets: string[]; labels?: Record<string, string> }[] =>
  (c.file_sd_configs ?? []).flatMap((sd) => sd.files.flatMap((f) => yamlFile(f)));
const servicesJob = scrapeConfigs.find((c) =>
  (c.file_sd_configs ?? []).some((sd) => sd.files.some((f) => f.endsWith('/services.json'))),
)!;

const COUNTER_LIKE = /_(total|bucket|sum|count)$/;
const MINUTES = 30;

/** promtool's series notation: `name{a="b"}`. */
function seriesText(name: string, labels: Record<string, string>): string {
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  return `${name}{${body}}`;
}

/**
 * The series Prometheus holds after MINUTES of scrapes: every exposed sample under the services'
 * job (counters and histograms growing by their value each minute, gauges constant), and `up`
 * and `scrape_samples_post_metric_relabeling` for every target of every job.
 */
function inputSeries(samples: PromSample[]): { series: string; values: string }[] {
  const [group] = targetsOf(servicesJob);
  const scrape = { job: servicesJob.job_name, instance: group!.targets[0]!, ...group!.labels };
  const out = samples.map((s) => ({
    series: seriesText(s.name, { ...s.labels, ...scrape }),
    values: COUNTER_LIKE.test(s.name) ? `0+${s.value}x${MINUTES}` : `${s.value}x${MINUTES}`,
  }));
  for (const c of scrapeConfigs) {
    for (const g of targetsOf(c)) {
      for (const instance of g.targets) {
        const labels = { job: c.job_name, instance, ...g.labels };
        out.push({ series: seriesText('up', labels), values: `1x${MINUTES}` });
        out.push({
          series: seriesText('scrape_samples_post_metric_relabeling', labels),
          values: `100x${MINUTES}`,
        });
      }
    }
  }
  return out;
}

/** Grafana's variables as a dashboard's defaults resolve them for the services' own scrape. */
function resolveVariables(expr: string): string {
  return expr
    .replace(/\$__rate_interval\b/g, '5m')
    .replace(/\$__range\b/g, `${MINUTES}m`)
    .replace(/\$__interval\b/g, '1m')
    .replace(/\$\{?environment\}?/g, EXPOSITION.environment)
    .replace(/\$\{?job\}?/g, servicesJob.job_name)
    .replace(/\$\{?[a-z_]+\}?/g, '.*');
}

/** The PromQL of a markdown file's ```promql blocks, one expression per entry. */
function markdownPromql(markdown: string): string[] {
  const out: string[] = [];
  for (const [, block] of markdown.matchAll(/```promql\n([\s\S]*?)```/g)) {
    const lines = block!
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter(Boolean);
    let current = '';
    lines.forEach((line, i) => {
      current = `${current} ${line}`.trim();
      const balanced = current.split('(').length === current.split(')').length;
      const next = lines[i + 1] ?? '';
      if (balanced && !current.endsWith('/') && !next.startsWith('/')) {
        out.push(current);
        current = '';
      }
    });
    if (current) out.push(current);
  }
  return out;
}

/** Docs queries that need traffic the exposition does not have, and why. */
const NEEDS_OTHER_TRAFFIC = new Map([
  [
    'count by (__name__, service) ({otel_metric_overflow="true"})',
    'a metric at its cardinality limit',
  ],
]);

/** Evaluates each query at the end of the series; returns those that return nothing. */
function withoutData(
  series: { series: string; values: string }[],
  queries: { where: string; expr: string }[],
): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'ai-teams-queries-'));
  try {
    const tests = {
      rule_files: [],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: series,
          // absent(q) is empty exactly when q returns data. The comment names the query.
          promql_expr_test: queries.map((q, i) => ({
            expr: `absent(\n# q${i}\n${q.expr}\n)`,
            eval_time: `${MINUTES}m`,
            exp_samples: [],
          })),
        },
      ],
    };
    writeFileSync(join(dir, 'queries.test.yml'), stringify(tests));
    const { status, out } = runPromtool(['test', 'rules', 'queries.test.yml'], dir);
    const failed = [...out.matchAll(/# q(\d+)/g)].map((m) => Number(m[1]));
    assert.equal(status === 0, failed.length === 0, `promtool:\n${out}`);
    return [...new Set(failed)].map((i) => `${queries[i]!.where}: ${queries[i]!.expr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('every query returns data from the series @ai-teams/otel-metrics really exposes', function () {
  before(ensureDebianTools);
  let series: { series: string; values: string }[];
  before(async () => {
    series = inputSeries(await realExposition());
  });

  it('every dashboard panel and variable query', () => {
    const queries = files.flatMap((f) =>
      promqlOf(load(f)).map(({ where, expr }) => ({
        where: `${f} ${where}`,
        expr: resolveVariables(expr),
      })),
    );
    assert.ok(queries.length > 40, `${queries.length} queries`);
    assert.deepEqual(withoutData(series, queries), []);
  });

  it('every alert expression, without its threshold', () => {
    const rules: { alert: string; expr: string }[] = yamlFile('alerts.yml').groups.flatMap(
      (g: { rules: { alert: string; expr: string }[] }) => g.rules,
    );
    const queries = rules.flatMap((r) =>
      dataSides(r.expr).map((expr) => ({ where: `alert ${r.alert}`, expr })),
    );
    assert.ok(queries.length >= rules.length);
    assert.deepEqual(withoutData(series, queries), []);
  });

  // docs/cost.md's queries read the collector's :8889 copy, which these series do not hold.
  it('every PromQL example of docs/metrics.md', () => {
    const queries = markdownPromql(text('..', 'docs', 'metrics.md'))
      .filter((expr) => !NEEDS_OTHER_TRAFFIC.has(expr))
      .map((expr) => ({ where: 'docs/metrics.md', expr }));
    assert.ok(queries.length > 10, `${queries.length} queries`);
    assert.deepEqual(withoutData(series, queries), []);
  });

  it('the check is real: queries that can never return data are reported', () => {
    const job = servicesJob.job_name;
    const broken = [
      // histogram_quantile without le in its `by`
      'histogram_quantile(0.95, sum by (service_name) (rate(request_duration_seconds_bucket[5m])))',
      // a status_code value that does not exist
      `sum(rate(request_count_total{job="${job}", status_code="5xx"}[5m]))`,
      // a job no scrape config is named
      'up{job="ai-teams-service"}',
      // a bucket bound that is not one of the buckets
      'request_duration_seconds_bucket{le="0.3"}',
      // `_total` doubled
      'rate(request_count_total_total[5m])',
    ];
    const good = `sum by (service_name) (rate(request_count_total{job="${job}", status_code=~"5.."}[5m]))`;
    const queries = [...broken, good].map((expr) => ({ where: 'test', expr }));
    assert.deepEqual(
      withoutData(series, queries),
      broken.map((expr) => `test: ${expr}`),
    );
  });

  it('reads the real exposition under the job that scrapes the services', () => {
    assert.equal(servicesJob.job_name, 'ai-teams-services');
    assert.ok(series.some((s) => s.series.startsWith('request_duration_seconds_bucket{')));
    assert.ok(series.some((s) => s.series.includes('status_code="500"')));
  });
});
