import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { variants } from './variants';

const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const only = process.env.BENCH_ONLY?.split(',');

interface Figures {
  rps: number[];
  p50: number[];
  p99: number[];
}

function start(name: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'server.js'), [name], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.once('message', (m: { port: number }) =>
      resolve({ child, url: `http://127.0.0.1:${m.port}/api/v1/items/42` }),
    );
    child.once('exit', (code) => reject(new Error(`variant ${name} exited with ${code}`)));
  });
}

async function load(url: string, duration: number): Promise<autocannon.Result> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const chosen = variants.filter(
    (v) => !only || only.includes(v.name) || only.some((o) => v.name === o),
  );
  // Every baseline a chosen variant names runs too, so each ratio comes from the same run.
  const names = new Set(chosen.flatMap((v) => (v.baseline ? [v.baseline, v.name] : [v.name])));
  const selected = variants.filter((v) => names.has(v.name));
  const servers = new Map<string, { child: ChildProcess; url: string }>();
  for (const v of selected) servers.set(v.name, await start(v.name));
  const figures = new Map<string, Figures>(
    selected.map((v) => [v.name, { rps: [], p50: [], p99: [] }]),
  );
  console.log(
    `node ${process.version}, ${CONNECTIONS} connections, ${ROUNDS} rounds x ${DURATION}s per variant, loopback`,
  );
  try {
    for (const v of selected) await load(servers.get(v.name)!.url, 2); // warm-up (JIT, pools)
    // Interleaved rounds, each starting one variant later: drift in machine load and the
    // position within a round hit every variant alike.
    for (let round = 1; round <= ROUNDS; round++) {
      const shift = (round - 1) % selected.length;
      for (const v of [...selected.slice(shift), ...selected.slice(0, shift)]) {
        const r = await load(servers.get(v.name)!.url, DURATION);
        const f = figures.get(v.name)!;
        f.rps.push(r.requests.average);
        f.p50.push(r.latency.p50);
        f.p99.push(r.latency.p99);
        console.log(`  round ${round} ${v.name}: ${Math.round(r.requests.average)} req/s`);
      }
    }
  } finally {
    for (const { child } of servers.values()) child.kill();
  }
  const rows = selected.map((v) => {
    const f = figures.get(v.name)!;
    const rps = median(f.rps);
    const baseFigures = v.baseline ? figures.get(v.baseline) : undefined;
    const base = baseFigures ? median(baseFigures.rps) : undefined;
    const baseP99 = baseFigures ? median(baseFigures.p99) : undefined;
    return {
      variant: v.name,
      'req/s': Math.round(rps),
      'p50 ms': median(f.p50),
      'p99 ms': median(f.p99),
      baseline: v.baseline ?? '-',
      'ratio req/s': base ? (rps / base).toFixed(3) : '-',
      'ratio p99': baseP99 ? (median(f.p99) / baseP99).toFixed(2) : '-',
    };
  });
  console.table(rows);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
