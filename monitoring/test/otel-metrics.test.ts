import { strict as assert } from 'node:assert';
import { realExposition } from './exposition';
import { applicationSeries } from './metrics';

// The catalogue the dashboards and alerts are checked against (test/metrics.ts) must be what
// @ai-teams/otel-metrics really exposes: drive every instrument once and read /metrics.
describe('the metric catalogue matches @ai-teams/otel-metrics', () => {
  it('every exposed series name and label is in the catalogue, and every catalogue name is exposed', async () => {
    const samples = await realExposition();
    const catalogue = applicationSeries();
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const s of samples) {
      if (s.name === 'target_info') continue;
      seen.add(s.name);
      const known = catalogue.get(s.name);
      if (!known) {
        problems.push(`exposed but not in the catalogue: ${s.name}`);
        continue;
      }
      for (const l of Object.keys(s.labels)) {
        if (!known.has(l)) problems.push(`${s.name}: label ${l} not in the catalogue`);
      }
      for (const l of ['environment', 'project', 'service']) {
        if (!(l in s.labels)) problems.push(`${s.name}: no ${l} label`);
      }
    }
    assert.deepEqual([...new Set(problems)], []);
    assert.deepEqual(
      [...catalogue.keys()].filter((n) => !seen.has(n)),
      [],
    );
  });
});
