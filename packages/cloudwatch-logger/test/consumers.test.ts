import assert from 'node:assert/strict';
import path from 'node:path';
import { runNode } from '@ai-teams/test-utils';

// Runs the built package (dist) as a user would load it: require() and import.
const cwd = path.resolve(__dirname, '..');

const run = (args: string[]) => runNode(cwd, args);

describe('package entry points', () => {
  it('loads with require() from CommonJS and writes a line', () => {
    const out = run([
      '-e',
      "const m = require('@ai-teams/cloudwatch-logger'); console.log(typeof m.createLogger, typeof m.cloudwatchFormat, typeof m.requestLogger); m.createLogger({ service: 'cjs', env: {} }).info('hi')",
    ]);
    const [types, line] = out.split('\n');
    assert.equal(types, 'function function function');
    assert.equal(JSON.parse(line!)['@message'], 'hi', 'the pending line is written at exit');
  });

  it('loads with import from an ES module, named exports included', () => {
    const out = run([
      '--input-type=module',
      '-e',
      "import { createLogger, requestLogger } from '@ai-teams/cloudwatch-logger'; console.log(typeof createLogger, typeof requestLogger)",
    ]);
    assert.equal(out, 'function function');
  });
});
