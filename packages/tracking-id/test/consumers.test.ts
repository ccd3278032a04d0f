import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

// Runs the built package (dist) as a user would load it: require() and import.
const cwd = path.resolve(__dirname, '..');

function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd, encoding: 'utf8' }).trim();
}

describe('package entry points', () => {
  it('loads with require() from CommonJS', () => {
    const out = run([
      '-e',
      "const m = require('@ai-teams/tracking-id'); console.log(typeof m.trackingId, typeof m.getTrackingId, typeof m.setRequestContext)",
    ]);
    assert.equal(out, 'function function function');
  });

  it('loads with import from an ES module, named exports included', () => {
    const out = run([
      '--input-type=module',
      '-e',
      "import { trackingId, getTrackingId } from '@ai-teams/tracking-id'; console.log(typeof trackingId, typeof getTrackingId)",
    ]);
    assert.equal(out, 'function function');
  });
});
