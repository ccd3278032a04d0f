import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { at, MONITORING } from './paths';

/**
 * promtool and amtool, from Debian's prometheus and prometheus-alertmanager packages: installed
 * by stack/build-binaries.sh (apt-get, as root) on a machine that has neither, as .ci/run does,
 * so `npm test` needs nothing installed beforehand. Once per run.
 */
let debianTools = false;
export function ensureDebianTools(this: Mocha.Context): void {
  this.timeout(15 * 60 * 1000);
  if (debianTools) return;
  const have = (command: string) =>
    spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
  if (!have('promtool') || !have('amtool')) {
    const r = spawnSync(at('stack', 'build-binaries.sh'), ['debian'], { encoding: 'utf8' });
    assert.equal(
      r.status,
      0,
      `installing promtool and amtool failed (as root: apt-get install prometheus prometheus-alertmanager):\n${r.stdout}${r.stderr}`,
    );
  }
  debianTools = true;
}

/** Runs promtool (from monitoring/ unless `cwd` says otherwise): its exit status and output. */
export function runPromtool(args: string[], cwd = MONITORING): { status: number; out: string } {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  assert.ok(!r.error, `promtool could not run (apt-get install prometheus): ${r.error?.message}`);
  return { status: r.status ?? -1, out: r.stdout + r.stderr };
}

/** Runs promtool from monitoring/ and requires success. */
export function promtool(...args: string[]): string {
  const { status, out } = runPromtool(args);
  assert.equal(status, 0, `promtool ${args.join(' ')} failed:\n${out}`);
  return out;
}
