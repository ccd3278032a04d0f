import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { at, text, yamlFile } from './paths';

const CONFIG = 'otel-collector-config.yml';
const config: any = yamlFile(CONFIG);
const manifest: any = yamlFile('collector', 'builder-config.yaml');
const KINDS = ['receivers', 'processors', 'exporters', 'extensions'] as const;

/**
 * The component type(s) each module of the manifest provides (canonical name first, then the
 * deprecated aliases the release still accepts). The built binary's `components` command is
 * checked against the canonical names below.
 */
const TYPES_OF_MODULE: Record<string, string[]> = {
  otlpreceiver: ['otlp'],
  memorylimiterprocessor: ['memory_limiter'],
  batchprocessor: ['batch'],
  resourceprocessor: ['resource'],
  otlpexporter: ['otlp_grpc', 'otlp'],
  otlphttpexporter: ['otlp_http', 'otlphttp'],
  prometheusexporter: ['prometheus'],
  prometheusremotewriteexporter: ['prometheus_remote_write', 'prometheusremotewrite'],
  basicauthextension: ['basicauth'],
  healthcheckextension: ['health_check'],
};

const typeOf = (id: string): string => id.split('/')[0]!;
const modulesOf = (kind: string): { path: string; version: string }[] =>
  (manifest[kind] ?? []).map((m: { gomod: string }) => {
    const [path, version] = m.gomod.split(' ');
    return { path: path!, version: version! };
  });

/** The environment from .env.monitoring.example (what a user starts from). */
function exampleEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text('.env.monitoring.example').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/** `${env:VAR:-default}` expansion as the collector does it. */
function expand(value: string, env: Record<string, string | undefined>): string {
  return value.replace(
    /\$\{env:([A-Za-z0-9_]+)(?::-([^}]*))?\}/g,
    (_, name: string, def?: string) =>
      env[name] !== undefined && env[name] !== '' ? env[name]! : (def ?? ''),
  );
}

describe('otel-collector-config.yml', () => {
  it('defines every component its pipelines and service use', () => {
    const missing: string[] = [];
    for (const [name, p] of Object.entries(config.service.pipelines as Record<string, any>)) {
      for (const kind of ['receivers', 'processors', 'exporters'] as const) {
        for (const id of p[kind] as string[]) {
          if (!(id in config[kind])) missing.push(`${name}.${kind}: ${id}`);
        }
      }
    }
    for (const id of config.service.extensions as string[]) {
      if (!(id in config.extensions)) missing.push(`service.extensions: ${id}`);
    }
    for (const [id, e] of Object.entries(config.exporters as Record<string, any>)) {
      const auth = e.auth?.authenticator;
      if (auth && !(config.service.extensions as string[]).includes(auth)) {
        missing.push(`${id}: authenticator ${auth} is not enabled in service.extensions`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('uses every component it defines', () => {
    const pipelines = Object.values(config.service.pipelines as Record<string, any>);
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      const used = new Set(pipelines.flatMap((p) => p[kind] as string[]));
      assert.deepEqual(
        Object.keys(config[kind]).filter((id) => !used.has(id)),
        [],
        kind,
      );
    }
    assert.deepEqual(Object.keys(config.extensions).sort(), [...config.service.extensions].sort());
  });

  it('routes traces to Jaeger, metrics to Prometheus and Mimir, logs to Loki, through the same processors', () => {
    const p = config.service.pipelines;
    for (const name of ['traces', 'metrics', 'logs']) {
      assert.deepEqual(p[name].receivers, ['otlp']);
      assert.deepEqual(p[name].processors, ['memory_limiter', 'resource', 'batch']);
    }
    assert.deepEqual(p.traces.exporters, ['otlp_grpc/jaeger']);
    assert.deepEqual(p.metrics.exporters, ['prometheus', 'prometheus_remote_write/grafana-cloud']);
    assert.deepEqual(p.logs.exporters, ['otlp_http/loki']);
    assert.ok(config.processors.memory_limiter.check_interval);
  });

  it('labels data with environment and project, and authenticates to Grafana Cloud with basicauth', () => {
    assert.deepEqual(config.processors.resource.attributes, [
      { key: 'deployment.environment', value: '${env:ENVIRONMENT}', action: 'upsert' },
      { key: 'project', value: '${env:PROJECT:-starmates-ai-team}', action: 'upsert' },
    ]);
    const labels = {
      environment: '${env:ENVIRONMENT}',
      project: '${env:PROJECT:-starmates-ai-team}',
    };
    assert.deepEqual(config.exporters.prometheus.const_labels, labels);
    const rw = config.exporters['prometheus_remote_write/grafana-cloud'];
    assert.deepEqual(rw.external_labels, labels);
    assert.equal(rw.auth.authenticator, 'basicauth/grafana-cloud-metrics');
    assert.equal(
      config.exporters['otlp_http/loki'].auth.authenticator,
      'basicauth/grafana-cloud-logs',
    );
    for (const id of ['basicauth/grafana-cloud-metrics', 'basicauth/grafana-cloud-logs']) {
      assert.equal(config.extensions[id].client_auth.password, '${env:GRAFANA_CLOUD_API_KEY}');
    }
    // No credentials in headers (the plan's `Bearer id:key` header does not work).
    assert.doesNotMatch(text(CONFIG), /^\s*(headers|authorization):/im);
  });

  it('contains no secret: every credential is an ${env:...} reference', () => {
    const walk = (node: unknown, path: string): string[] => {
      if (node && typeof node === 'object') {
        return Object.entries(node).flatMap(([k, v]) => walk(v, `${path}.${k}`));
      }
      if (
        /\.(password|token|api_key|secret|client_secret)$/i.test(path) &&
        typeof node === 'string' &&
        !/^\$\{env:[A-Z_]+\}$/.test(node)
      ) {
        return [`${path} = ${node}`];
      }
      return [];
    };
    assert.deepEqual(walk(config, ''), []);
  });

  it('has no port clash: OTLP 4317/4318, self metrics 8888, prometheus exporter 8889, health 13133', () => {
    const env = exampleEnv();
    const listeners: Record<string, string> = {
      'otlp grpc': config.receivers.otlp.protocols.grpc.endpoint,
      'otlp http': config.receivers.otlp.protocols.http.endpoint,
      prometheus: config.exporters.prometheus.endpoint,
      health_check: config.extensions.health_check.endpoint,
    };
    const reader = config.service.telemetry.metrics.readers[0].pull.exporter.prometheus;
    listeners['self metrics'] = `${reader.host}:${reader.port}`;
    const ports = Object.fromEntries(
      Object.entries(listeners).map(([k, v]) => [k, expand(v, {}).split(':').pop()]),
    );
    assert.deepEqual(ports, {
      'otlp grpc': '4317',
      'otlp http': '4318',
      prometheus: '8889',
      health_check: '13133',
      'self metrics': '8888',
    });
    // The example environment keeps them apart too.
    const fromExample = Object.values(listeners).map((v) => expand(v, env).split(':').pop());
    assert.equal(new Set(fromExample).size, fromExample.length);
  });

  it('documents every ${env:VAR} in .env.monitoring.example, and the example holds nothing else', () => {
    const used = new Set([...text(CONFIG).matchAll(/\$\{env:([A-Za-z0-9_]+)/g)].map((m) => m[1]!));
    const documented = new Set(Object.keys(exampleEnv()));
    assert.deepEqual([...used].filter((v) => !documented.has(v)).sort(), []);
    assert.deepEqual([...documented].filter((v) => !used.has(v)).sort(), []);
    // Each variable has a comment line right above it.
    const lines = text('.env.monitoring.example').split('\n');
    lines.forEach((line, i) => {
      if (/^[A-Z0-9_]+=/.test(line)) assert.match(lines[i - 1] ?? '', /^#/, `${line}: no comment`);
    });
  });
});

describe('collector/builder-config.yaml', () => {
  const coreVersion = `v${manifest.dist.version}`;

  it('holds exactly the modules of the components the config uses', () => {
    for (const kind of KINDS) {
      const used = new Set(Object.keys(config[kind]).map(typeOf));
      const provided = new Set(
        modulesOf(kind).flatMap((m) => TYPES_OF_MODULE[m.path.split('/').pop()!] ?? ['?']),
      );
      assert.deepEqual(
        [...used].filter((t) => !provided.has(t)),
        [],
        `${kind} not in the manifest`,
      );
      const unused = modulesOf(kind).filter(
        (m) => !(TYPES_OF_MODULE[m.path.split('/').pop()!] ?? []).some((t) => used.has(t)),
      );
      assert.deepEqual(unused, [], `${kind} in the manifest but unused`);
    }
    assert.equal(manifest.connectors, undefined);
  });

  it('pins every component at the release, and the providers at its stable 1.x pairing', () => {
    for (const kind of KINDS) {
      for (const m of modulesOf(kind)) assert.equal(m.version, coreVersion, m.path);
    }
    const providers = (manifest.providers as { gomod: string }[]).map((p) => p.gomod);
    assert.deepEqual(providers, [
      'go.opentelemetry.io/collector/confmap/provider/envprovider v1.64.0',
      'go.opentelemetry.io/collector/confmap/provider/fileprovider v1.64.0',
    ]);
  });
});

describe('the built collector (monitoring/stack/build-binaries.sh collector)', function () {
  // The first run on a machine builds the collector with the Collector Builder (minutes);
  // later runs reuse the cached binary.
  this.timeout(30 * 60 * 1000);
  let otelcol = '';

  before(() => {
    const r = spawnSync(at('stack', 'build-binaries.sh'), ['collector'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `building the collector failed:\n${r.stdout}${r.stderr}`);
    otelcol = /^collector (.+)$/m.exec(r.stdout)![1]!;
  });

  const run = (args: string[], env: Record<string, string>) =>
    spawnSync(otelcol, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });

  it('is the manifest version with exactly the components the config uses', () => {
    assert.match(run(['--version'], {}).stdout, new RegExp(`version ${manifest.dist.version}\\b`));
    const components = parse(run(['components'], {}).stdout);
    for (const kind of KINDS) {
      const built = (components[kind] as { name: string }[]).map((c) => c.name).sort();
      const used = [...new Set(Object.keys(config[kind]).map(typeOf))].sort();
      assert.deepEqual(built, used, kind);
    }
  });

  it('validates otel-collector-config.yml with the example environment', () => {
    const r = run(['validate', `--config=${at(CONFIG)}`], exampleEnv());
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('validates it with only ENVIRONMENT set (every other variable has a default)', () => {
    const r = run(['validate', `--config=${at(CONFIG)}`], { ENVIRONMENT: 'prod' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('rejects a config whose pipeline names an undefined exporter (validation is real)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otelcol-'));
    try {
      const broken = text(CONFIG).replace(
        'exporters: [otlp_grpc/jaeger]',
        'exporters: [otlp_grpc/nowhere]',
      );
      writeFileSync(join(dir, 'config.yml'), broken);
      const r = run(['validate', `--config=${join(dir, 'config.yml')}`], exampleEnv());
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /otlp_grpc\/nowhere/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Loki stand-in of the stack test (stack/standin-builder-config.yaml)', function () {
  this.timeout(30 * 60 * 1000);
  const standin: any = yamlFile('stack', 'standin-builder-config.yaml');

  it('is built from the same collector release', () => {
    assert.equal(standin.dist.version, manifest.dist.version);
    const modules = KINDS.flatMap((k) => modulesOf(k).map((m) => m.version));
    const standinModules = KINDS.flatMap((k) =>
      (standin[k] ?? []).map((m: { gomod: string }) => m.gomod.split(' ')[1]),
    );
    assert.deepEqual([...new Set([...modules, ...standinModules])], [`v${manifest.dist.version}`]);
  });

  it('validates stack/loki-standin-config.yml: OTLP in behind basicauth, file out', () => {
    const r = spawnSync(at('stack', 'build-binaries.sh'), ['standin'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `building the stand-in failed:\n${r.stdout}${r.stderr}`);
    const bin = /^standin (.+)$/m.exec(r.stdout)![1]!;
    const env = {
      PATH: process.env.PATH ?? '',
      STANDIN_HEALTH_PORT: '13133',
      STANDIN_OTLP_HTTP_PORT: '4318',
      STANDIN_OUTPUT: join(tmpdir(), 'loki-standin.jsonl'),
    };
    const v = spawnSync(bin, ['validate', `--config=${at('stack', 'loki-standin-config.yml')}`], {
      encoding: 'utf8',
      env,
    });
    assert.equal(v.status, 0, v.stdout + v.stderr);
    const config = yamlFile('stack', 'loki-standin-config.yml');
    assert.equal(config.receivers.otlp.protocols.http.auth.authenticator, 'basicauth/server');
    assert.deepEqual(config.service.pipelines.logs, { receivers: ['otlp'], exporters: ['file'] });
  });
});
