import { load, type Load } from './load';
import { CONNECTIONS, PIN, start, WARMUP, type Server } from './servers';
import { interquartile, median } from './stats';
import { variants } from './variants';

const DURATION = Number(process.env.BENCH_DURATION ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 3);
const only = process.env.BENCH_ONLY?.split(',');
const SEED = Number(process.env.BENCH_SEED ?? Math.floor(Math.random() * 2 ** 32));
if (!Number.isSafeInteger(SEED) || SEED < 0)
  throw new Error(`BENCH_SEED must be a non-negative integer, got ${process.env.BENCH_SEED}`);

/** mulberry32: a small seeded generator, so a run's order can be repeated with BENCH_SEED. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Fisher–Yates, on a copy. */
function shuffled<T>(items: T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** One process's figure: the median of its rounds. */
function figure(s: Server, pick: (l: Load) => number): number {
  return median(s.loads.map(pick));
}

async function main() {
  const chosen = variants.filter((v) => !only || only.includes(v.name));
  if (only && chosen.length === 0) throw new Error(`BENCH_ONLY matched no variant: ${only}`);
  // Every baseline a chosen variant names runs too, so each ratio comes from the same run.
  const names = new Set(
    chosen.flatMap((v) => [...(v.baseline ? [v.baseline] : []), ...(v.versus ?? []), v.name]),
  );
  const selected = variants.filter((v) => names.has(v.name));
  console.log(
    `node ${process.version}, ${CONNECTIONS} connections, ${PROCESSES} processes per variant ` +
      (PIN ? `(servers on CPU ${PIN.server}, load on CPU ${PIN.client}) ` : '(not pinned) ') +
      `(${WARMUP}s warm-up each), ${ROUNDS} rounds x ${DURATION}s per process, loopback, ` +
      `order seed ${SEED}`,
  );
  // A process's own speed differs from the next one's by a few per cent (code layout, JIT and
  // GC decisions), which no number of rounds on one process averages out: several processes
  // per variant, each warmed up until the JIT and the heap have settled.
  const servers: Server[] = [];
  try {
    // Ordered #0 of every variant, then #1 of every variant, …: a slow stretch of the machine
    // lands on several variants, not on all processes of one.
    for (let i = 0; i < PROCESSES; i++)
      for (const v of selected) servers.push(await start(v.name, i));
    for (const s of servers) await load(s.url, { connections: CONNECTIONS, duration: WARMUP });
    // Interleaved rounds, each in its own random order: drift in machine load, the position
    // within a round and the load that ran just before (a fixed rotation always put the same
    // process before a variant) hit every variant alike, as spread rather than as a bias.
    const next = random(SEED);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const s of shuffled(servers, next)) {
        const r = await load(s.url, { connections: CONNECTIONS, duration: DURATION });
        s.loads.push(r);
        console.log(
          `  round ${round} ${s.variant} #${s.index}: ${Math.round(r.rps)} req/s, p99 ${r.p99.toFixed(2)} ms`,
        );
      }
    }
  } finally {
    for (const s of servers) s.child.kill();
  }
  const of = (name: string) => servers.filter((s) => s.variant === name);
  const row = (v: (typeof selected)[number], against: string | undefined) => {
    const own = of(v.name);
    // A baseline that is not itself in this run (a baseline's own baseline) gives no ratio.
    const found = against ? of(against) : [];
    const base = found.length > 0 ? found : undefined;
    // Ratios are paired: process i of the variant against process i of the baseline, round by
    // round. The two are measured seconds apart, so a slow stretch of the machine hits both.
    const paired = (pick: (l: Load) => number) =>
      base ? own.flatMap((s, i) => s.loads.map((l, r) => pick(l) / pick(base[i]!.loads[r]!))) : [];
    const rps = paired((l) => l.rps);
    const p99 = paired((l) => l.p99);
    return {
      variant: v.name,
      'req/s': Math.round(median(own.map((s) => figure(s, (l) => l.rps)))),
      'p50 ms': median(own.map((s) => figure(s, (l) => l.p50))).toFixed(2),
      'p99 ms': median(own.map((s) => figure(s, (l) => l.p99))).toFixed(2),
      baseline: base ? against : '-',
      'ratio req/s': base ? median(rps).toFixed(3) : '-',
      'req/s IQR': base ? interquartile(rps) : '-',
      'ratio p99': base ? median(p99).toFixed(2) : '-',
      'p99 IQR': base ? interquartile(p99, 2) : '-',
    };
  };
  const rows = selected.flatMap((v) => [
    row(v, v.baseline),
    ...(v.versus ?? []).map((o) => row(v, o)),
  ]);
  console.table(rows);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
