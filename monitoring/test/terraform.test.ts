import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { parse } from '@cdktf/hcl2json';
import { at, text } from './paths';

// Parsed with HashiCorp's HCL parser (Go, compiled to WebAssembly in @cdktf/hcl2json).
const DIR = at('terraform');
const files = readdirSync(DIR).filter((f) => f.endsWith('.tf'));

async function parseAll(): Promise<Record<string, any>> {
  const parsed: Record<string, any> = {};
  for (const f of files) parsed[f] = await parse(f, text('terraform', f));
  return parsed;
}

/** Every `var.x` inside the string values of a parsed tree. */
function referencedVariables(node: unknown, out = new Set<string>()): Set<string> {
  if (typeof node === 'string') {
    for (const m of node.matchAll(/\bvar\.([a-zA-Z_][a-zA-Z0-9_-]*)/g)) out.add(m[1]!);
  } else if (Array.isArray(node)) {
    node.forEach((n) => referencedVariables(n, out));
  } else if (node && typeof node === 'object') {
    Object.values(node).forEach((n) => referencedVariables(n, out));
  }
  return out;
}

const SECRET_NAME = /key|token|password|secret/i;

describe('terraform', () => {
  let tf: Record<string, any>;
  let variables: Record<string, any[]>;
  let resources: Record<string, Record<string, any[]>>;
  before(async () => {
    tf = await parseAll();
    variables = Object.assign({}, ...Object.values(tf).map((t) => t.variable ?? {}));
    resources = {};
    for (const t of Object.values(tf)) {
      for (const [type, byName] of Object.entries((t.resource ?? {}) as Record<string, any>)) {
        resources[type] = { ...(resources[type] ?? {}), ...byName };
      }
    }
  });

  it('has the issue files and they parse', () => {
    for (const f of ['variables.tf', 'monitoring.tf', 'ecs.tf', 'versions.tf']) {
      assert.ok(tf[f], `${f} missing`);
    }
  });

  it('declares every referenced variable, and uses every declared one', () => {
    const used = referencedVariables(tf);
    const declared = new Set(Object.keys(variables));
    assert.deepEqual(
      [...used].filter((v) => !declared.has(v)),
      [],
    );
    assert.deepEqual(
      [...declared].filter((v) => !used.has(v)),
      [],
    );
  });

  it('secret variables are sensitive and have no default', () => {
    const secrets = Object.keys(variables).filter((v) => SECRET_NAME.test(v));
    assert.deepEqual(secrets, ['grafana_cloud_api_key']);
    for (const [name, [decl]] of Object.entries(variables)) {
      if (decl.sensitive === true || SECRET_NAME.test(name)) {
        assert.equal(decl.sensitive, true, `${name} is not sensitive`);
        assert.equal('default' in decl, false, `${name} has a default`);
      }
    }
  });

  it('pins every provider it uses in required_providers', () => {
    const required = tf['versions.tf'].terraform[0].required_providers[0];
    const usedProviders = new Set(
      Object.values(tf).flatMap((t) =>
        [...Object.keys(t.resource ?? {}), ...Object.keys(t.data ?? {})].map(
          (r) => r.split('_')[0],
        ),
      ),
    );
    assert.deepEqual([...usedProviders].sort(), Object.keys(required).sort());
    for (const [name, p] of Object.entries(required as Record<string, any>)) {
      assert.match(p.source, /^[a-z0-9-]+\/[a-z0-9-]+$/, `${name}: source`);
      assert.match(p.version, /^(~>|=)?\s*\d+\.\d+/, `${name}: version ${p.version}`);
    }
    assert.ok(tf['versions.tf'].terraform[0].required_version);
  });

  it('keeps the token as a SecureString and the config as a String under /ai-teams/<env>/monitoring/', () => {
    const ssm = resources.aws_ssm_parameter!;
    assert.deepEqual(Object.keys(ssm).sort(), ['grafana_cloud_api_key', 'grafana_cloud_config']);
    const prefix = tf['monitoring.tf'].locals[0].ssm_prefix;
    assert.equal(prefix, '/ai-teams/${var.environment}/monitoring');
    const [key] = ssm.grafana_cloud_api_key!;
    assert.equal(key.type, 'SecureString');
    assert.equal(key.name, '${local.ssm_prefix}/grafana-cloud-api-key');
    assert.equal(key.value, '${var.grafana_cloud_api_key}');
    const [config] = ssm.grafana_cloud_config!;
    assert.equal(config.type, 'String');
    assert.equal(config.name, '${local.ssm_prefix}/grafana-cloud-config');
    assert.doesNotMatch(config.value, /api_key/);
  });

  it('the collector task reads the token from SSM via secrets/valueFrom, with ENVIRONMENT set', () => {
    const [task] = resources.aws_ecs_task_definition!.otel_collector!;
    const defs = task.container_definitions as string;
    assert.match(
      defs,
      /name\s*=\s*"GRAFANA_CLOUD_API_KEY", valueFrom = aws_ssm_parameter\.grafana_cloud_api_key\.arn/,
    );
    assert.match(defs, /name = "ENVIRONMENT", value = var\.environment/);
    assert.match(defs, /command\s*=\s*\["--config=env:OTELCOL_CONFIG"\]/);
    assert.match(defs, /file\("\$\{path\.module\}\/\.\.\/otel-collector-config\.yml"\)/);
    // The API key never appears as a plain environment value.
    assert.doesNotMatch(defs, /value = var\.grafana_cloud_api_key/);
  });

  it('lets the execution role read exactly the two parameters (and decrypt with the SSM key)', () => {
    const doc = tf['ecs.tf'].data.aws_iam_policy_document.read_monitoring_parameters[0];
    const [ssmStatement, kmsStatement] = doc.statement;
    assert.deepEqual(ssmStatement.resources, [
      '${aws_ssm_parameter.grafana_cloud_api_key.arn}',
      '${aws_ssm_parameter.grafana_cloud_config.arn}',
    ]);
    assert.deepEqual(kmsStatement.actions, ['kms:Decrypt']);
    const [policy] = resources.aws_iam_role_policy!.otel_collector_read_parameters!;
    assert.equal(policy.role, '${aws_iam_role.otel_collector_execution.id}');
  });

  it('defaults the collector image to the version the builder manifest builds', () => {
    const manifest = text('collector', 'builder-config.yaml');
    const version = /^ {2}version: (\S+)$/m.exec(manifest)![1];
    assert.equal(
      variables.collector_image![0].default,
      `otel/opentelemetry-collector-contrib:${version}`,
    );
  });
});
