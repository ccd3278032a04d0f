import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { functionOf, packageOf, table, type CallFrame } from './frames';
import { load } from './load';
import { CONNECTIONS, start, WARMUP, type Server } from './servers';

// npm run bench:alloc -w @ai-teams/benchmarks -- VARIANT [VARIANT…]
// Bytes allocated per request, by package and by function, from V8's sampling heap profiler
// (objects already collected included), over ALLOC_REQUESTS (20 000) requests after a warm-up of
// BENCH_WARMUP (5) s; each variant's server pinned as in `npm run bench`. Variants after the
// first also get their difference from it by package. Unlike throughput, this does not depend
// on the machine's speed or the collector's regime: it counts what the collector has to clear.

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

const REQUESTS = Number(process.env.ALLOC_REQUESTS ?? 20_000);
const TOP = Number(process.env.ALLOC_TOP ?? 25);

function ask(server: Server, message: object, answer: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { alloc?: string }) => {
      if (m.alloc === undefined) return;
      server.child.off('message', onMessage);
      if (m.alloc === answer) resolve();
      else reject(new Error(`${server.variant}: sampler answered ${m.alloc}`));
    };
    server.child.on('message', onMessage);
    server.child.send(message);
  });
}

interface Allocations {
  byPackage: Map<string, number>;
  byFunction: Map<string, number>;
  total: number;
}

async function measure(variant: string, dir: string): Promise<Allocations> {
  const file = path.join(dir, `${variant.replace(/[^\w+-]/g, '_')}.heapprofile`);
  const server = await start(variant, 0, ['--require', path.join(__dirname, 'alloc-sampler.js')]);
  try {
    await load(server.url, { connections: CONNECTIONS, duration: WARMUP });
    await ask(server, { alloc: 'start' }, 'started');
    await load(server.url, { connections: CONNECTIONS, amount: REQUESTS });
    await ask(server, { alloc: 'stop', file }, 'stopped');
  } finally {
    server.child.disconnect();
  }
  const head = (JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode }).head;
  const out: Allocations = { byPackage: new Map(), byFunction: new Map(), total: 0 };
  const walk = (node: HeapNode) => {
    if (node.selfSize > 0) {
      const pkg = packageOf(node.callFrame);
      const fn = functionOf(node.callFrame);
      out.byPackage.set(pkg, (out.byPackage.get(pkg) ?? 0) + node.selfSize);
      out.byFunction.set(fn, (out.byFunction.get(fn) ?? 0) + node.selfSize);
      out.total += node.selfSize;
    }
    for (const child of node.children) walk(child);
  };
  walk(head);
  return out;
}

async function main() {
  const variants = process.argv.slice(2);
  if (variants.length === 0) throw new Error('usage: bench:alloc VARIANT [VARIANT…]');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-alloc-'));
  console.log(
    `node ${process.version}, ${REQUESTS} requests over ${CONNECTIONS} connections after a ${WARMUP}s warm-up; bytes per request`,
  );
  try {
    let first: Allocations | undefined;
    for (const variant of variants) {
      const a = await measure(variant, dir);
      console.log(`\n${variant}: ${(a.total / REQUESTS).toFixed(0)} bytes per request`);
      if (first) {
        const diff = new Map<string, number>();
        for (const k of new Set([...a.byPackage.keys(), ...first.byPackage.keys()])) {
          const d = (a.byPackage.get(k) ?? 0) - (first.byPackage.get(k) ?? 0);
          if (Math.abs(d) / REQUESTS >= 50) diff.set(k, d);
        }
        console.log(
          `  against ${variants[0]}: ${((a.total - first.total) / REQUESTS).toFixed(0)} bytes per request; by package (50 bytes or more either way)\n${table(diff, REQUESTS, TOP, 0)}`,
        );
      }
      console.log(`  by package\n${table(a.byPackage, REQUESTS, TOP, 0)}`);
      console.log(`  by function\n${table(a.byFunction, REQUESTS, TOP, 0)}`);
      first ??= a;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
