import { load, openLoad, type Load } from './load';
import { CONNECTIONS, PIN, start, WARMUP, type Server } from './servers';
import { interquartile, median } from './stats';
import { variants } from './variants';

// Bracketed A/B measurement of variants against their baselines:
//   node dist/ab.js VARIANT…
// For each pair of processes (one of the variant, one of its baseline), loads alternate
// B V B V … B, and each V is divided by the mean of the two B loads on either side of it.
// A drift of the machine's speed that is roughly linear over a few seconds cancels out of the
// ratio, where `npm run bench` pairs loads up to a minute apart. The baseline run against
// itself (`express+otel(A/A)`) shows what is left of the noise.
//
// AB_TOGETHER=1 loads the two processes of a pair at the same time instead, both on the one
// server CPU, and divides the variant's requests by the baseline's in the same seconds: the
// machine's slow stretches hit both alike, whatever their length. The scheduler gives two
// busy processes equal CPU time, so the ratio is one of CPU cost per request. Latency is not
// comparable in this mode (each request waits for the other server's turn), so only req/s.
const DURATION = Number(process.env.AB_DURATION ?? 2);
const REPEATS = Number(process.env.AB_REPEATS ?? 4);
const PAIRS = Number(process.env.AB_PAIRS ?? 4);
const TOGETHER = process.env.AB_TOGETHER === '1';
// AB_RATE=N: every measured load offers at most N requests/s in all (not in together mode),
// through autocannon's overallRate, which releases each connection's share of a second at the
// start of that second: bursts over all connections, then idle time, not evenly spaced
// requests, and latency is measured from each request's send (no correction for coordinated
// omission). At full load, with every connection always busy, mean latency is connections /
// throughput, so a p99 ratio there is bound to the throughput ratio; with a rate both servers
// answer the same requests, idle between bursts. The req/s ratio then reads about 1.
const RATE = process.env.AB_RATE === undefined ? undefined : Number(process.env.AB_RATE);
// AB_OPEN=1 with AB_RATE: an open-loop load instead (`openLoad`): request i sent at i / rate,
// its latency counted from then. The fixed-rate latency of a service below its capacity.
const OPEN = process.env.AB_OPEN === '1';
if (OPEN && RATE === undefined) throw new Error('AB_OPEN=1 needs AB_RATE');
if (RATE !== undefined && !(RATE > 0)) throw new Error('AB_RATE must be a positive number');
/** Connections per process when a pair is loaded together: the same total as one load. */
const HALF = Math.max(1, Math.floor(CONNECTIONS / 2));

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
    const run = (s: Server, duration = DURATION) =>
      OPEN
        ? openLoad(s.url, { connections: CONNECTIONS, duration, rate: RATE! })
        : load(s.url, { connections: CONNECTIONS, duration, rate: RATE });
    if (TOGETHER) {
      for (let i = 0; i < PAIRS; i++) await together(started[2 * i]!, started[2 * i + 1]!, WARMUP);
      for (let r = 1; r <= REPEATS; r++) {
        for (let i = 0; i < PAIRS; i++) {
          const [b, v] = await together(started[2 * i]!, started[2 * i + 1]!, DURATION);
          const rps = v.rps / b.rps;
          out.rps.push(rps);
          console.log(
            `  ${name} #${i} repeat ${r}: ${Math.round(v.rps)} req/s, ` +
              `baseline ${Math.round(b.rps)} req/s at the same time; ratio ${rps.toFixed(3)}`,
          );
        }
      }
      return out;
    }
    for (const s of started) await run(s, WARMUP);
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

/** Both processes of a pair under load at once, each with its own connections. */
function together(b: Server, v: Server, duration: number): Promise<[Load, Load]> {
  const opts = { connections: HALF, duration };
  return Promise.all([load(b.url, opts), load(v.url, opts)]);
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
      `(${WARMUP}s warm-up each), ` +
      (TOGETHER
        ? `B and V loaded together, ${HALF} connections each, ${REPEATS} loads of ${DURATION}s per pair, loopback`
        : `B V B … with ${REPEATS} V loads of ${DURATION}s per pair, loopback`) +
      (RATE !== undefined && !TOGETHER
        ? `, ${RATE} req/s offered per load` +
          (OPEN ? ' (open loop, latency from each due time)' : ' (autocannon overallRate)')
        : ''),
  );
  if (TOGETHER && !PIN)
    console.log(
      '  not pinned: the two servers may not share one CPU, so ratios are not CPU shares',
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
      'ratio p99': TOGETHER ? '–' : median(r.p99).toFixed(2),
      'p99 IQR': TOGETHER ? '–' : interquartile(r.p99, 2),
    });
  }
  console.table(rows);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
