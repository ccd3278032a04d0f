import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { load } from './load';
import { CONNECTIONS, PIN, start, WARMUP } from './servers';

// Garbage collection of a loaded server, per variant:
//   npm run bench:gc -w @ai-teams/benchmarks -- VARIANT…
// Each variant's server runs with --trace-gc-nvp (plus BENCH_NODE_FLAGS, space-separated), is
// warmed up for BENCH_WARMUP s, then loaded with GC_REQUESTS (60 000) requests over
// BENCH_CONNECTIONS. Printed per process: scavenges and mark-compacts in that load (count,
// main-thread pause), what a scavenge found alive in the young generation and what it moved to
// the old one (KB, averaged over the scavenges), and the CPU time per request of the server's
// threads from /proc: the main thread, and V8's worker threads, where concurrent marking and
// parallel scavenging run. GC_PROCESSES (2) processes per variant, one after the other: the
// collector's behaviour differs per process.
const REQUESTS = Number(process.env.GC_REQUESTS ?? 60_000);
const PROCESSES = Number(process.env.GC_PROCESSES ?? 2);
const FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/**
 * A directory to keep every line V8 printed per process in (`<variant>-<process>.txt`), start-up
 * and warm-up included: e.g. with BENCH_NODE_FLAGS='--trace-pretenuring-statistics --trace-deopt'
 * it shows which allocation sites were tenured and which functions' code depended on them.
 */
const TRACE_DIR = process.env.GC_TRACE_DIR;

/** Length of the clock tick /proc counts CPU time in. */
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU ticks (user + system) of a process's threads, summed by thread name. */
function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended in between
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(name, (out.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]));
  }
  return out;
}

interface Pauses {
  count: number;
  ms: number;
  /** Bytes that survived in the young generation, and bytes moved to the old one. */
  survived: number;
  promoted: number;
}

/**
 * `--trace-gc-nvp` lines: `[pid:0x…]  123 ms: pause=0.9 mutator=150.2 gc=s … promoted=240
 * new_space_survived=128424 …`; `gc=s` is a scavenge, `gc=mc` a mark-compact.
 */
function collect(kind: 's' | 'mc', lines: string[]): Pauses {
  const out = { count: 0, ms: 0, survived: 0, promoted: 0 };
  const field = (line: string, name: string) =>
    Number(new RegExp(`(?:^| )${name}=([\\d.]+)`).exec(line)?.[1] ?? 0);
  for (const line of lines) {
    if (!line.includes(` gc=${kind} `)) continue;
    out.count++;
    out.ms += field(line, 'pause');
    out.survived += field(line, 'new_space_survived');
    out.promoted += field(line, 'promoted');
  }
  return out;
}

async function measure(variant: string, index: number) {
  const server = await start(variant, index, ['--trace-gc-nvp', ...FLAGS]);
  try {
    let partial = '';
    let lines: string[] | undefined;
    // Only --trace-gc-nvp's lines, and only during the measured load (stdout also has log lines).
    server.child.stdout!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString('latin1');
      const cut = text.lastIndexOf('\n');
      partial = text.slice(cut + 1);
      if (TRACE_DIR) {
        const v8Lines = text
          .slice(0, cut + 1)
          .split('\n')
          .filter((l) => l !== '' && !l.startsWith('{'));
        const file = path.join(TRACE_DIR, `${variant.replace(/[^\w+-]+/g, '_')}-${index}.txt`);
        if (v8Lines.length) appendFileSync(file, `${v8Lines.join('\n')}\n`);
      }
      if (lines)
        for (const l of text.slice(0, cut).split('\n')) if (l.startsWith('[')) lines.push(l);
    });
    await load(server.url, { connections: CONNECTIONS, duration: WARMUP });
    const pid = server.child.pid!;
    const before = threadTicks(pid);
    lines = [];
    await load(server.url, { connections: CONNECTIONS, amount: REQUESTS });
    const after = threadTicks(pid);
    const seen = lines;
    lines = undefined;
    const perRequest = (name: string) =>
      ((((after.get(name) ?? 0) - (before.get(name) ?? 0)) * TICK_US) / REQUESTS).toFixed(1);
    const scavenge = collect('s', seen);
    const markCompact = collect('mc', seen);
    const perScavenge = (bytes: number) =>
      scavenge.count ? Math.round(bytes / scavenge.count / 1024) : 0;
    return {
      variant,
      process: index,
      scavenges: scavenge.count,
      'scavenge ms': Math.round(scavenge.ms),
      'scavenge µs/req': ((scavenge.ms * 1000) / REQUESTS).toFixed(2),
      'survived KB/scavenge': perScavenge(scavenge.survived),
      'promoted KB/scavenge': perScavenge(scavenge.promoted),
      'mark-compacts': markCompact.count,
      'mark-compact ms': Math.round(markCompact.ms),
      'main thread CPU µs/req': perRequest('MainThread'),
      'V8 workers CPU µs/req': perRequest('V8Worker'),
    };
  } finally {
    server.child.kill();
  }
}

async function main() {
  const names = process.argv.slice(2);
  if (names.length === 0) throw new Error('usage: bench:gc VARIANT…');
  console.log(
    `node ${process.version}, ${REQUESTS} requests over ${CONNECTIONS} connections after a ` +
      `${WARMUP}s warm-up${PIN ? ', server pinned' : ''}` +
      `${FLAGS.length ? `, server flags ${FLAGS.join(' ')}` : ''}; CPU ticks are ${TICK_US / 1000} ms`,
  );
  const rows = [];
  for (let i = 0; i < PROCESSES; i++) for (const name of names) rows.push(await measure(name, i));
  console.table(rows);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
