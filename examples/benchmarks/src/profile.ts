import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { load } from './load';
import { functionOf, packageOf, table, type CallFrame } from './frames';
import { CONNECTIONS, start } from './servers';

// npm run bench:profile -w @ai-teams/benchmarks -- VARIANT [REQUESTS] [TOP]
// One variant's server under --cpu-prof (pinned like `npm run bench`), REQUESTS (80 000) over
// BENCH_CONNECTIONS (32) connections, then its self time per request: by package, and its TOP (40) functions.
// The profile covers the process's whole life, start-up included (under 1 µs per request at
// 80 000). Compare two variants' outputs line by line to see where a difference goes.

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

async function main() {
  const [variant, requestsArg, topArg] = process.argv.slice(2);
  if (!variant) throw new Error('usage: bench:profile VARIANT [REQUESTS] [TOP]');
  const requests = Number(requestsArg ?? 80_000);
  const top = Number(topArg ?? 40);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-profile-'));
  let profile: Profile;
  try {
    const server = await start(variant, 0, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    try {
      await load(server.url, { connections: CONNECTIONS, amount: requests });
    } finally {
      server.child.disconnect(); // the server exits, and node writes the profile
    }
    await exited;
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no profile written in ${dir}`);
    profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Profile;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + profile.timeDeltas[i]!));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id);
    if (!us) continue;
    const pkg = packageOf(node.callFrame);
    const fn = functionOf(node.callFrame);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    total += us;
  }
  console.log(`${variant}: ${requests} requests, ${(total / requests).toFixed(1)} µs per request`);
  console.log(`\nself time per request (µs), by package\n${table(byPackage, requests, 30)}`);
  console.log(`\nself time per request (µs), by function\n${table(byFunction, requests, top)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
