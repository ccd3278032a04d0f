import { execFileSync } from 'node:child_process';

/**
 * Runs Node (the same binary as the tests) in `cwd` and returns its trimmed stdout: loads a
 * built package the way a user would, with `require()` or `import` (`--input-type=module`).
 */
export function runNode(cwd: string, args: string[]): string {
  return execFileSync(process.execPath, args, { cwd, encoding: 'utf8' }).trim();
}
