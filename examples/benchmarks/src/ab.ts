import { load, type Load } from './load';
import { PIN, start, type Server } from './servers';
import { interquartile, median } from './stats';
import { variants } from './variants';

// Bracketed A/B measurement of variants against their baselines:
//   node dist/ab.js VARIANT…
// For each pair of processes (one of the variant, one of its baseline), loads alternate
// B V B V … B, and each V is divided by the mean of the two B loads on either side of it.
// A drift of the machine's speed that is roughly linear over a few seconds cancels out of the
// ratio, where `npm run bench` pairs loads up to a minute apart. The baseline run against
// itself (`express+otel(A/A)`) shows what is left of the noise.
const DURATION = Number(process.env.AB_DURATION ?? 2);
const REPEATS = Number(process.env.AB_REPEATS ?? 4);
const PAIRS = Number(process.env.AB_PAIRS ?? 4);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

interface Ratios {
  rps: number[];
  p99: number[];
}

async function measure(name: string, baseline: string): Promise<Ratios> {
  const started: Server[] = [];
  const out: Ratios = { rps: [], p99: [] };
  try {
    // Baseline and variant of pair i at started[2i] and started[2i + 1]; every process that
    // started is stopped in `finally`, even if a later one fails to start.
    for (let i = 0; i < PAIRS; i++) {
      started.push(await start(baseline, i));
      started.push(await start(name, i));
    }
    for (const s of started) await load(s.url, { connections: CONNECTIONS, duration: WARMUP });
    const run = (s: Server) => load(s.url, { connections: CONNECTIONS, duration: DURATION });
    for (let i = 0; i < PAIRS; i++) {
      const b = started[2 * i]!;
      const v = started[2 * i + 1]!;
      let before: Load = await run(b);
      for (let r = 1; r <= REPEATS; r++) {
        const own = await run(v);
        const after = await run(b);
        const rps = own.rps / ((before.rps + after.rps) / 2);
        const p99 = own.p99 / ((before.p99 + after.p99) / 2);
        out.rps.push(rps);
        out.p99.push(p99);
        console.log(
          `  ${name} #${v.index} repeat ${r}: ${Math.round(own.rps)} req/s, p99 ${own.p99.toFixed(2)} ms; ` +
            `baseline ${Math.round(before.rps)} / ${Math.round(after.rps)} req/s; ratio ${rps.toFixed(3)}`,
        );
        before = after;
      }
    }
  } finally {
    for (const s of started) s.child.kill();
  }
  return out;
}

async function main() {
  const names = process.argv.slice(2);
  if (names.length === 0) {
    console.error('usage: ab.js VARIANT… (each against the baseline it names in variants.ts)');
    process.exit(2);
  }
  const chosen = names.map((n) => {
    const v = variants.find((x) => x.name === n);
    if (!v?.baseline) throw new Error(`${n}: not a variant with a baseline`);
    return { name: n, baseline: v.baseline };
  });
  console.log(
    `node ${process.version}, ${CONNECTIONS} connections, ${PAIRS} process pairs per variant ` +
      (PIN ? `(servers on CPU ${PIN.server}, load on CPU ${PIN.client}) ` : '(not pinned) ') +
      `(${WARMUP}s warm-up each), B V B … with ${REPEATS} V loads of ${DURATION}s per pair, loopback`,
  );
  const rows = [];
  for (const { name, baseline } of chosen) {
    const r = await measure(name, baseline);
    rows.push({
      variant: name,
      baseline,
      ratios: r.rps.length,
      'ratio req/s': median(r.rps).toFixed(3),
      'req/s IQR': interquartile(r.rps),
      'ratio p99': median(r.p99).toFixed(2),
      'p99 IQR': interquartile(r.p99, 2),
    });
  }
  console.table(rows);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
