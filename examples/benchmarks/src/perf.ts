import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { packageOf } from './frames';
import { load } from './load';
import { start, WARMUP } from './servers';

// npm run bench:perf -w @ai-teams/benchmarks -- VARIANT…
// Each variant's server (pinned like `npm run bench`, one at a time) under `perf record -e
// cpu-clock` for PERF_SECONDS (8) while it is loaded with 16 connections, after the usual
// warm-up. Unlike --cpu-prof this counts every thread of the process (V8's garbage collector
// workers included) and the kernel's work on its behalf, with JIT frames named through
// --perf-basic-prof. Prints CPU µs per request by kind of work for each variant, and the
// symbols whose time per request differs most from the first variant's.
// PERF_PROCESSES (1) processes per variant, PERF_FREQ (4000) samples/s, PERF_TOP (25) symbols.

const SECONDS = Number(process.env.PERF_SECONDS ?? 8);
const FREQ = Number(process.env.PERF_FREQ ?? 4000);
const PROCESSES = Number(process.env.PERF_PROCESSES ?? 1);
const TOP = Number(process.env.PERF_TOP ?? 25);
const run = promisify(execFile);
/** Kinds of work below this many µs per request in every variant are shown as one row. */
const SMALL = 0.05;
/** Seconds given to `perf record` to attach before the load, and after it. */
const PERF_START_S = 0.5;

const GC =
  /Scaveng|Heap::|::GC|MarkCompact|Sweep|Evacuat|Marking|RememberedSet|Minor|SemiSpace|PagedSpace|MemoryAllocator|SlotSet|Compaction/;

/** What kind of work a sampled symbol is: a package's JavaScript, the collector, the kernel… */
function kindOf(dso: string, symbol: string): string {
  if (dso === '[kernel.kallsyms]') return 'kernel (sockets, pipes, page faults)';
  if (dso.startsWith('[JIT]')) {
    // "JS:*'name /path/file.js:12:3": the last word is where the function is.
    const url = symbol
      .replace(/^JS:\W*/, '')
      .split(' ')
      .pop()!
      .replace(/:\d+:\d+$/, '');
    // Code with no file: regular expressions ("RegExp.>"), stubs, bare addresses.
    if (!/[/:]/.test(url)) return 'js (no file: regexps, stubs)';
    return `js ${packageOf({ url, functionName: symbol, lineNumber: 0 })}`;
  }
  if (dso === 'node') {
    if (GC.test(symbol)) return 'V8 garbage collector';
    if (symbol.startsWith('Builtins_')) return 'V8 builtins (inline caches, calls, strings)';
    return 'node and V8 runtime (C++)';
  }
  return dso; // libc, libstdc++, [vdso]
}

interface Sampled {
  variant: string;
  requests: number;
  rps: number;
  /** µs per request by symbol, `dso\tsymbol`. */
  symbols: Map<string, number>;
}

async function sample(variant: string, index: number, dir: string): Promise<Sampled> {
  // --perf-basic-prof also makes V8 write its isolate-*-v8.log, by default into the working
  // directory, one per run: into the data directory, removed with it.
  const server = await start(variant, index, [
    '--perf-basic-prof',
    `--logfile=${path.join(dir, 'v8.log')}`,
  ]);
  try {
    await load(server.url, { connections: 16, duration: WARMUP });
    const data = path.join(dir, `${index}-${variant.replace(/\W+/g, '_')}.data`);
    const perf = run('perf', [
      'record',
      ...['-e', 'cpu-clock', '-F', String(FREQ), '-o', data],
      ...['-p', String(server.child.pid), '--', 'sleep', String(SECONDS + 2 * PERF_START_S)],
    ]);
    // perf takes a moment to attach: the load starts after it and ends before it stops, so
    // every request counted is sampled (the idle server around the load takes no samples).
    // A perf that fails (not permitted, no such event) rejects at once: handled (the catch, then
    // Promise.all below), not an unhandled rejection that ends the process before the clean-up.
    perf.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, PERF_START_S * 1000));
    const [measured] = await Promise.all([
      load(server.url, { connections: 16, duration: SECONDS }),
      perf,
    ]);
    const { stdout } = await run(
      'perf',
      ['report', '-i', data, '--sort', 'dso,sym', '-F', 'sample,dso,sym', '--stdio'],
      { maxBuffer: 64 << 20 },
    );
    const requests = measured.rps * SECONDS;
    const usPerSample = 1e6 / FREQ;
    const symbols = new Map<string, number>();
    for (const line of stdout.split('\n')) {
      const m = /^\s*(\d+)\s+(\[JIT\] tid \d+|\S+)\s+\[.\]\s+(.*)$/.exec(line);
      if (!m) continue;
      const dso = m[2]!.startsWith('[JIT]') ? '[JIT]' : m[2]!;
      // The tier marks V8 puts before a name (*, ~, +, ') differ between processes: dropped.
      const key = `${dso}\t${m[3]!.trim().replace(/^JS:[*~^+']*/, 'JS:')}`;
      symbols.set(key, (symbols.get(key) ?? 0) + (Number(m[1]) * usPerSample) / requests);
    }
    return { variant, requests, rps: measured.rps, symbols };
  } finally {
    server.child.kill();
    rmSync(`/tmp/perf-${server.child.pid}.map`, { force: true });
  }
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

function byKind(s: Sampled): Map<string, number> {
  const kinds = new Map<string, number>();
  for (const [key, us] of s.symbols) {
    const [dso, symbol] = key.split('\t') as [string, string];
    const kind = kindOf(dso, symbol);
    kinds.set(kind, (kinds.get(kind) ?? 0) + us);
  }
  return kinds;
}

/** The mean over a variant's processes of each key's µs per request. */
function mean(maps: Map<string, number>[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of maps) for (const [k, v] of m) out.set(k, (out.get(k) ?? 0) + v / maps.length);
  return out;
}

async function main() {
  const variants = process.argv.slice(2);
  if (variants.length === 0)
    throw new Error('usage: bench:perf VARIANT… (the first is compared with)');
  try {
    execFileSync('perf', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('bench:perf needs Linux perf (Debian: apt-get install linux-perf)');
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-perf-'));
  const results = new Map<string, Sampled[]>();
  try {
    // Processes of the variants interleaved, so a slow stretch of the machine hits them alike.
    for (let i = 0; i < PROCESSES; i++) {
      for (const v of variants) {
        const s = await sample(v, i, dir);
        results.set(v, [...(results.get(v) ?? []), s]);
        console.log(
          `${v} #${i}: ${Math.round(s.rps)} req/s under perf, ${sum(s.symbols).toFixed(1)} CPU µs per request`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const kinds = variants.map((v) => mean(results.get(v)!.map(byKind)));
  const symbols = variants.map((v) => mean(results.get(v)!.map((s) => s.symbols)));
  const width = Math.max(...variants.map((v) => v.length), 8);
  const head = (extra: string) =>
    `${''.padEnd(44)}${variants.map((v) => v.padStart(width + 2)).join('')}${extra}`;
  console.log(`\nCPU µs per request, every thread and the kernel, by kind of work`);
  console.log(head(variants.length > 1 ? `  (last − first)` : ''));
  const rows = [...new Set(kinds.flatMap((k) => [...k.keys()]))].sort(
    (a, b) => (kinds.at(-1)!.get(b) ?? 0) - (kinds.at(-1)!.get(a) ?? 0),
  );
  const line = (label: string, values: number[]) =>
    `${label.slice(0, 43).padEnd(44)}${values.map((x) => x.toFixed(2).padStart(width + 2)).join('')}` +
    (values.length > 1 ? `  ${(values.at(-1)! - values[0]!).toFixed(2).padStart(8)}` : '');
  // Rows under SMALL µs in every variant are summed into one.
  const small = kinds.map(() => 0);
  for (const row of rows) {
    const values = kinds.map((k) => k.get(row) ?? 0);
    if (values.some((x) => x >= SMALL)) console.log(line(row, values));
    else values.forEach((x, i) => (small[i]! += x));
  }
  console.log(line(`the rest (each under ${SMALL} µs)`, small));
  console.log(line('total', kinds.map(sum)));
  if (variants.length < 2) return;
  console.log(`\nsymbols whose µs per request differ most, ${variants.at(-1)} − ${variants[0]}`);
  const [first, last] = [symbols[0]!, symbols.at(-1)!];
  const keys = [...new Set([...first.keys(), ...last.keys()])];
  const diff = (k: string) => (last.get(k) ?? 0) - (first.get(k) ?? 0);
  for (const k of keys.sort((a, b) => Math.abs(diff(b)) - Math.abs(diff(a))).slice(0, TOP)) {
    const [dso, symbol] = k.split('\t') as [string, string];
    const where = symbol
      .replace(/\/\S*node_modules\//, '')
      .replace(/\/\S*\/(packages|examples)\//, '$1/');
    console.log(`${diff(k).toFixed(2).padStart(8)}  ${dso.padEnd(18)} ${where.slice(0, 120)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
