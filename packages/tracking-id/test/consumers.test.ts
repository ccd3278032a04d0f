import assert from 'node:assert/strict';
import path from 'node:path';
import { runNode } from '@ai-teams/test-utils';

// Runs the built package (dist) as a user would load it: require() and import.
const cwd = path.resolve(__dirname, '..');

const run = (args: string[]) => runNode(cwd, args);

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
