import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { applicationSeries, PROMETHEUS_SERIES } from './metrics';
import { at, MONITORING, yamlFile } from './paths';
import { checkPromql } from './promql';
import { ensureDebianTools, promtool } from './tools';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules: Rule[] = yamlFile('alerts.yml').groups.flatMap((g: { rules: Rule[] }) => g.rules);

describe('prometheus configuration', () => {
  before(ensureDebianTools);
  it('promtool check config: prometheus.yml with its rule file', () => {
    const out = promtool('check', 'config', 'prometheus.yml');
    assert.match(out, /SUCCESS: 1 rule files found/);
    assert.match(out, /SUCCESS: 5 rules found/);
  });

  it('scrapes the services, the collector exporter on 8889 and its own metrics on 8888', () => {
    const config = yamlFile('prometheus.yml');
    const jobs = config.scrape_configs.map((s: { job_name: string }) => s.job_name);
    assert.deepEqual(jobs, [
      'ai-teams-services',
      'otel-collector',
      'otel-collector-internal',
      'prometheus',
    ]);
    const targets = (file: string): string[] =>
      yamlFile(file).flatMap((g: { targets: string[] }) => g.targets);
    assert.deepEqual(targets('prometheus/targets/services.json'), [
      'host.docker.internal:3000',
      'host.docker.internal:3001',
      'host.docker.internal:3002',
    ]);
    assert.deepEqual(targets('prometheus/targets/otel-collector.json'), ['otel-collector:8889']);
    assert.deepEqual(targets('prometheus/targets/otel-collector-internal.json'), [
      'otel-collector:8888',
    ]);
    assert.deepEqual(targets('prometheus/targets/alertmanager.json'), ['alertmanager:9093']);
    assert.deepEqual(targets('prometheus/targets/prometheus.json'), ['localhost:9090']);
    assert.deepEqual(config.rule_files, ['alerts.yml']);
  });

  it('gives the series that come through the collector their `service` label', () => {
    const job = yamlFile('prometheus.yml').scrape_configs.find(
      (s: { job_name: string }) => s.job_name === 'otel-collector',
    );
    assert.deepEqual(job.metric_relabel_configs, [
      { source_labels: ['exported_job'], regex: '(.+)', target_label: 'service' },
    ]);
  });
});

describe('alert rules', () => {
  before(ensureDebianTools);
  it('promtool check rules', () => {
    assert.match(promtool('check', 'rules', 'alerts.yml'), /SUCCESS: 5 rules found/);
  });

  it('promtool test rules: each alert fires when it should and stays quiet otherwise', () => {
    assert.match(promtool('test', 'rules', 'alerts.test.yml'), /SUCCESS/);
  });

  it('covers error ratio, p95 latency, service down, AI cost burn and the series budget', () => {
    assert.deepEqual(rules.map((r) => r.alert).sort(), [
      'AICostBurnRate',
      'HighErrorRatio',
      'HighLatencyP95',
      'SeriesBudgetNearFreeTier',
      'ServiceDown',
    ]);
  });

  it('every rule has a `for`, a severity, a summary and a runbook link into docs/', () => {
    for (const r of rules) {
      assert.match(r.for ?? '', /^\d+[smh]$/, `${r.alert}: for`);
      assert.ok(['critical', 'warning'].includes(r.labels?.severity ?? ''), `${r.alert}: severity`);
      assert.ok(r.annotations?.summary, `${r.alert}: summary`);
      const runbook = r.annotations?.runbook_url ?? '';
      const m = /\/blob\/main\/(docs\/[a-z-]+\.md)#(.+)$/.exec(runbook);
      assert.ok(m, `${r.alert}: runbook_url ${runbook}`);
      const doc = readFileSync(at('..', m[1]!), 'utf8');
      assert.ok(
        doc
          .split('\n')
          .some((l) => l.startsWith('#') && l.toLowerCase().includes(m[2]!.replace('alert-', ''))),
        `${r.alert}: ${m[1]} has no heading for #${m[2]}`,
      );
    }
  });

  it('every expression uses existing metric names and their labels', () => {
    const catalogue = applicationSeries();
    for (const [name, labels] of Object.entries(PROMETHEUS_SERIES)) {
      catalogue.set(name, new Set(labels));
    }
    const problems = rules.flatMap((r) =>
      checkPromql(r.expr, catalogue).map((p) => `${r.alert}: ${p}`),
    );
    assert.deepEqual(problems, []);
  });
});

describe('alertmanager configuration', () => {
  before(ensureDebianTools);
  it('amtool check-config and a webhook receiver that reports resolution', () => {
    const r = spawnSync('amtool', ['check-config', 'alertmanager/alertmanager.yml'], {
      cwd: MONITORING,
      encoding: 'utf8',
    });
    assert.ok(
      !r.error,
      `amtool could not run (apt-get install prometheus-alertmanager): ${r.error?.message}`,
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const config = yamlFile('alertmanager', 'alertmanager.yml');
    const hook = config.receivers.find((x: { name: string }) => x.name === config.route.receiver);
    assert.equal(hook.webhook_configs[0].send_resolved, true);
  });
});
