import { readFileSync } from 'node:fs';
import { interquartile, median } from './stats';

// Pools the paired ratios of several saved `npm run bench` outputs:
//   node dist/pool.js VARIANT BASELINE run1.txt run2.txt …
// Within each file, process i of the variant is paired with process i of the baseline in the
// same round, as the report does; the pooled median and IQR are over all pairs of all files.
// Outputs of `AB_TOGETHER=1 npm run bench:ab` give their ratios directly (each load of the
// variant over its baseline loaded at the same time; req/s only): those are pooled as they are.
const [variant, baseline, ...files] = process.argv.slice(2);
if (!variant || !baseline || files.length === 0) {
  console.error('usage: pool.js VARIANT BASELINE output.txt…');
  process.exit(2);
}

const LINE = /^\s+round (\d+) (.+?) #(\d+): (\d+) req\/s, p99 ([\d.]+) ms$/;
const TOGETHER =
  /^\s+(.+?) #\d+ repeat \d+: \d+ req\/s, baseline \d+ req\/s at the same time; ratio ([\d.]+)$/;

const rps: number[] = [];
const p99: number[] = [];
for (const file of files) {
  const seen = new Map<string, { rps: number; p99: number }>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = LINE.exec(line);
    if (m) seen.set(`${m[2]}|${m[3]}|${m[1]}`, { rps: Number(m[4]), p99: Number(m[5]) });
  }
  let pairs = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = TOGETHER.exec(line);
    if (m?.[1] !== variant) continue;
    rps.push(Number(m[2]));
    pairs++;
  }
  for (const [key, own] of seen) {
    const [name, index, round] = key.split('|');
    if (name !== variant) continue;
    const base = seen.get(`${baseline}|${index}|${round}`);
    if (!base) continue;
    rps.push(own.rps / base.rps);
    p99.push(own.p99 / base.p99);
    pairs++;
  }
  console.log(`${file}: ${pairs} pairs`);
}
if (rps.length === 0) throw new Error(`no pairs of ${variant} and ${baseline} in these files`);
console.log(
  `${variant} / ${baseline}: ${rps.length} pairs, req/s ratio ${median(rps).toFixed(3)} ` +
    `[${interquartile(rps)}]` +
    (p99.length === 0
      ? ' (loaded together: no p99)'
      : `, p99 ratio ${median(p99).toFixed(2)} [${interquartile(p99, 2)}] of ${p99.length}`),
);
