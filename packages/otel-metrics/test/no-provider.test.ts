import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Runs `script` in a fresh Node process (no global provider yet) and returns its warnings. */
function warningsOf(script: string, env: Record<string, string> = {}): string[] {
  const run = spawnSync(process.execPath, ['-e', script], {
    cwd: path.resolve(__dirname, '..'),
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stderr.split('\n').filter((l) => l.includes('AI_TEAMS_METRICS_NO_PROVIDER'));
}

// The built package, as an app loads it: the warning is once per process.
const CREATE_ALL = `
  const { businessMetrics, httpMetrics } = require('@ai-teams/otel-metrics');
  httpMetrics(); businessMetrics(); httpMetrics();
`;

describe('a metrics factory without a MeterProvider', () => {
  it('warns once that nothing will be recorded, naming the fix', () => {
    const warnings = warningsOf(CREATE_ALL);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(
      warnings[0]!,
      /httpMetrics\(\): no MeterProvider is registered \(or the registered one was shut down\)/,
    );
    assert.match(warnings[0]!, /after setupTelemetry\(\)/);
  });

  it('stays quiet with a global provider registered first, or one passed', () => {
    const sdk = `
      const { metrics } = require('@opentelemetry/api');
      const { MeterProvider } = require('@opentelemetry/sdk-metrics');
    `;
    assert.deepEqual(
      warningsOf(`${sdk} metrics.setGlobalMeterProvider(new MeterProvider()); ${CREATE_ALL}`),
      [],
    );
    assert.deepEqual(
      warningsOf(`${sdk}
        const { businessMetrics, httpMetrics } = require('@ai-teams/otel-metrics');
        const meterProvider = new MeterProvider();
        httpMetrics({ meterProvider }); businessMetrics({ meterProvider });`),
      [],
    );
  });

  it('warns when the registered provider was shut down before', () => {
    const warnings = warningsOf(`
      const { metrics } = require('@opentelemetry/api');
      const { MeterProvider } = require('@opentelemetry/sdk-metrics');
      const provider = new MeterProvider();
      metrics.setGlobalMeterProvider(provider);
      provider.shutdown().then(() => require('@ai-teams/otel-metrics').httpMetrics());
    `);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /or the registered one was shut down/);
  });

  it('stays quiet when the SDK is switched off on purpose', () => {
    assert.deepEqual(warningsOf(CREATE_ALL, { OTEL_SDK_DISABLED: 'true' }), []);
  });
});
