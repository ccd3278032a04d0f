import { load, type Load } from './load';
import { PIN, start, type Server } from './servers';
import { interquartile, median } from './stats';
import { variants } from './variants';

const DURATION = Number(process.env.BENCH_DURATION ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const only = process.env.BENCH_ONLY?.split(',');

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
      `(${WARMUP}s warm-up each), ${ROUNDS} rounds x ${DURATION}s per process, loopback`,
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
    // Interleaved rounds, each starting one process later: drift in machine load and the
    // position within a round hit every variant alike.
    for (let round = 1; round <= ROUNDS; round++) {
      const shift = (round - 1) % servers.length;
      for (const s of [...servers.slice(shift), ...servers.slice(0, shift)]) {
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
