import { strict as assert } from 'node:assert';
import { files, load, panelsOf, promqlOf } from './dashboards';
import { applicationSeries } from './metrics';
import { logqlRefs } from './logql';
import { yamlFile } from './paths';
import { checkPromql, promqlRefs, substituteGrafanaVariables } from './promql';

const catalogue = applicationSeries();

describe('grafana dashboards', () => {
  it('are the three expected dashboards, valid JSON with unique uids and panel ids', () => {
    assert.deepEqual(files.sort(), [
      'ai-usage-cost.json',
      'logs-and-traces.json',
      'service-overview.json',
    ]);
    const uids = files.map((f) => load(f).uid);
    assert.equal(new Set(uids).size, uids.length);
    for (const f of files) {
      const ids = panelsOf(load(f)).map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length, `${f}: duplicate panel id`);
    }
  });

  it('the PromQL checker catches unknown metrics, foreign labels and syntax errors', () => {
    assert.deepEqual(
      checkPromql('sum by (service_name) (rate(request_count_total[5m]))', catalogue),
      [],
    );
    assert.deepEqual(checkPromql('rate(request_count[5m])', catalogue), [
      'unknown metric "request_count"',
    ]);
    assert.deepEqual(checkPromql('ai_cost_total{tracking_id="x"}', catalogue), [
      'ai_cost_total has no label tracking_id',
    ]);
    assert.deepEqual(checkPromql('sum by (endpoint) (ai_tokens_total)', catalogue), [
      'grouping by endpoint, which ai_tokens_total lacks',
    ]);
    assert.equal(
      checkPromql('sum(rate(ai_cost_total[5m])', catalogue)[0]?.startsWith('syntax'),
      true,
    );
    // Grafana's interval variables are accepted.
    assert.deepEqual(checkPromql('rate(ai_cost_total[$__rate_interval])', catalogue), []);
  });

  for (const f of files) {
    it(`${f}: every PromQL expression uses existing metrics and their labels`, () => {
      const d = load(f);
      const problems = promqlOf(d).flatMap(({ where, expr }) =>
        checkPromql(expr, catalogue).map((p) => `${where}: ${p}\n    ${expr}`),
      );
      assert.deepEqual(problems, []);
    });
  }

  it('service overview shows RED per service and per endpoint, selectable by environment', () => {
    const d = load('service-overview.json');
    const exprs = promqlOf(d).map((e) => e.expr);
    const metrics = new Set(exprs.flatMap((e) => promqlRefs(e).selectors.map((s) => s.metric)));
    for (const m of [
      'request_count_total',
      'request_errors_total',
      'request_duration_seconds_bucket',
      'active_requests',
    ]) {
      assert.ok(metrics.has(m), `no panel uses ${m}`);
    }
    const groupedBy = new Set(
      exprs.flatMap((e) => promqlRefs(e).groupings.flatMap((g) => g.labels)),
    );
    assert.ok(groupedBy.has('service_name') && groupedBy.has('endpoint'));
    const env = d.templating.list.find((v) => v.name === 'environment');
    assert.ok(env, 'no environment variable');
    const panelExprs = panelsOf(d).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
    for (const e of panelExprs.filter((x) => x.includes('{'))) {
      assert.match(e, /environment=~"\$environment"/, `not filtered by environment: ${e}`);
    }
  });

  it('service overview: every panel follows the Service variable', () => {
    // `service_name` where the metric has it; the workflow histogram has only `service`, the
    // provider's service, which is the same name.
    const d = load('service-overview.json');
    const problems: string[] = [];
    for (const p of panelsOf(d)) {
      for (const e of (p.targets ?? []).map((t) => t.expr ?? '').filter((x) => x.includes('{'))) {
        const needed = { service_name: 0, service: 0 };
        for (const s of promqlRefs(substituteGrafanaVariables(e)).selectors) {
          needed[catalogue.get(s.metric)?.has('service_name') ? 'service_name' : 'service'] += 1;
        }
        for (const [label, count] of Object.entries(needed)) {
          const found = e.split(`${label}=~"$service"`).length - 1;
          if (found !== count) problems.push(`${p.title}: ${found} of ${count} ${label} filters`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  for (const f of ['service-overview.json', 'ai-usage-cost.json']) {
    it(`${f}: the Source (job) variable never sums a series twice, by default or on All`, () => {
      // With OTLP metrics, the local Prometheus holds each series twice: the collector's :8889
      // copy (job="otel-collector") and the remote-written one (job = service.name). The
      // variable leaves the first out, and All is the union of what it lists (no custom ".*"),
      // so the default adds up each request once; the services' own scrape (ai-teams-services)
      // never overlaps the remote-written copy (a service either serves /metrics or pushes).
      const d = load(f);
      const job = d.templating.list.find((v) => v.name === 'job');
      assert.ok(job, 'no job variable');
      const q = (job.query as { query: string }).query;
      assert.match(q, /^label_values\(\w+\{.*job!="otel-collector".*\}, job\)$/);
      assert.equal(job.includeAll, true);
      assert.equal(
        job.allValue,
        undefined,
        'a custom All value would bring the collector copy back',
      );
      assert.deepEqual(job.current?.value, ['$__all']);
      const panelExprs = panelsOf(d).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
      for (const e of panelExprs.filter((x) => x.includes('{'))) {
        for (const s of promqlRefs(substituteGrafanaVariables(e)).selectors) {
          assert.ok(s.labels.includes('job'), `${s.metric} not filtered by job: ${e}`);
        }
        assert.match(e, /job=~"\$job"/);
      }
    });
  }

  it('AI usage and cost shows requests, tokens and cost', () => {
    const exprs = promqlOf(load('ai-usage-cost.json')).map((e) => e.expr);
    const metrics = new Set(exprs.flatMap((e) => promqlRefs(e).selectors.map((s) => s.metric)));
    assert.deepEqual(
      ['ai_cost_total', 'ai_requests_total', 'ai_tokens_total'].filter((m) => !metrics.has(m)),
      [],
    );
  });

  it('every LogQL expression parses and uses the labels Loki gives OTLP logs', () => {
    // Index labels Loki makes from OTLP resource attributes (service.name, deployment.environment)
    // and the structured metadata it keeps per record (severity, trace and span ids, and the
    // record's attributes, among them tracking_id).
    const STREAM = new Set(['service_name', 'deployment_environment', 'service_namespace']);
    const METADATA = new Set([
      'severity_text',
      'severity_number',
      'trace_id',
      'span_id',
      'tracking_id',
    ]);
    let checked = 0;
    const problems: string[] = [];
    for (const f of files) {
      for (const p of panelsOf(load(f))) {
        for (const t of p.targets ?? []) {
          if ((t.datasource?.type ?? p.datasource?.type) !== 'loki' || !t.expr) continue;
          checked += 1;
          const refs = logqlRefs(t.expr);
          problems.push(...refs.errors.map((e) => `${p.title}: syntax error ${e}`));
          problems.push(
            ...refs.streamLabels
              .filter((l) => !STREAM.has(l))
              .map((l) => `${p.title}: stream label ${l}`),
          );
          problems.push(
            ...refs.filterLabels
              .filter((l) => !METADATA.has(l))
              .map((l) => `${p.title}: field ${l}`),
          );
        }
      }
    }
    assert.deepEqual(problems, []);
    assert.equal(checked, 2);
    // The checker is real.
    assert.equal(logqlRefs('{a="b" |= "x"').errors.length > 0, true);
    assert.deepEqual(logqlRefs('{service_name="x"} | trace_id="y"'), {
      errors: [],
      streamLabels: ['service_name'],
      filterLabels: ['trace_id'],
    });
  });

  it('logs and traces: Loki panels filter by tracking id, the trace panel opens it in Jaeger', () => {
    const d = load('logs-and-traces.json');
    const panels = panelsOf(d);
    const logs = panels.filter((p) => p.type === 'logs');
    assert.ok(logs.length > 0);
    // An OTLP record's line in Loki is its message alone: the id is structured metadata, so a
    // line filter (`|= "$tracking_id"`) would find nothing. The regex ends in .* so that an
    // empty box shows every line (an absent label reads as "", which ".*" matches).
    const byId = logs
      .flatMap((p) => p.targets ?? [])
      .filter((t) => t.expr?.includes('tracking_id'));
    assert.equal(byId.length, 1);
    const expr = byId[0]!.expr!;
    assert.deepEqual(logqlRefs(expr).filterLabels, ['tracking_id']);
    assert.match(expr, /\| tracking_id=~"\$\{tracking_id\}\.\*"$/);
    assert.doesNotMatch(expr, /\|[=~] *"\$/);
    const trace = panels.find((p) => p.type === 'traces');
    assert.equal(trace?.targets?.[0]?.datasource?.uid, 'jaeger');
    assert.equal(trace?.targets?.[0]?.query, '$tracking_id');
  });
});

describe('grafana provisioning', () => {
  const datasources: any[] = yamlFile(
    'grafana',
    'provisioning',
    'datasources',
    'datasources.yml',
  ).datasources;

  it('provisions Prometheus, Jaeger and Loki with the uids the dashboards use', () => {
    assert.deepEqual(
      datasources.map((d) => [d.uid, d.type]),
      [
        ['prometheus', 'prometheus'],
        ['jaeger', 'jaeger'],
        ['loki', 'loki'],
      ],
    );
  });

  it('a log line links to its trace: the tracking_id derived field points at Jaeger', () => {
    const loki = datasources.find((d) => d.uid === 'loki');
    const field = loki.jsonData.derivedFields.find(
      (f: { name: string }) => f.name === 'tracking_id',
    );
    assert.equal(field.datasourceUid, 'jaeger');
    // `$$` is Grafana's escape for a literal `$` in provisioning files.
    assert.equal(field.url, '$${__value.raw}');
    const id = '4bf92f3577b34da6a3ce929d0e0e4736';
    const line = JSON.stringify({
      '@timestamp': '2026-11-25T15:00:00.000Z',
      '@level': 'info',
      '@message': 'GET /api/v1/workflows - 200',
      service: 'api-gateway',
      tracking_id: id,
    });
    assert.equal(new RegExp(field.matcherRegex).exec(line)?.[1], id);
    assert.equal(new RegExp(field.matcherRegex).exec(line.replace(id, 'not-an-id')), null);
  });

  it('the dashboard provider loads the directory compose mounts the dashboards into', () => {
    const provider = yamlFile('grafana', 'provisioning', 'dashboards', 'dashboards.yml')
      .providers[0];
    const compose = yamlFile('docker-compose.monitoring.yml');
    assert.ok(
      compose.services.grafana.volumes.includes(`./grafana/dashboards:${provider.options.path}:ro`),
    );
  });
});
