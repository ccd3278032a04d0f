import { createWriteStream } from 'node:fs';
import { trace } from '@opentelemetry/api';
import { errorSpanEvents } from '@ai-teams/error-span-events';
import * as winston from 'winston';
import { setupTracing } from './otel';

// Raw winston lines/s with and without errorSpanEvents(), JSON to /dev/null, inside an active
// span as in a request. Non-error lines are the goal (within 3%); error lines show the price of
// the work the format does when it matters (exception + status + event).
//
// The machine is shared and noisy, so the variants alternate batch by batch (1,000 lines each,
// rotating who goes first) and each variant's time is the sum of its own batches: drift in load
// hits all of them alike. Time is that of the logging calls; the stream drains between batches.
const LINES = Number(process.env.BENCH_LINES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BATCH = 1000;

setupTracing();
const { combine, timestamp, json } = winston.format;
const logger = (extra: winston.Logform.Format[]) =>
  winston.createLogger({
    level: 'info',
    defaultMeta: { service: 'bench' },
    format: combine(...extra, timestamp(), json()),
    transports: [new winston.transports.Stream({ stream: createWriteStream('/dev/null') })],
  });

const variants: [string, winston.Logger][] = [
  ['winston json', logger([])],
  // Reference: what any extra format in the chain costs, whatever it does.
  ['winston json + identity format', logger([winston.format((info) => info)()])],
  ['winston json + errorSpanEvents()', logger([errorSpanEvents()])],
];
const META = { user_id: 'user_12345', request_method: 'POST', items: 3, cached: false };
const ERROR = new Error('payment provider timed out');
const tracer = trace.getTracer('bench');

function batch(l: winston.Logger, level: 'info' | 'error'): number {
  let took = 0;
  // One span per batch, ended after it: like a request, and error events stay bounded.
  tracer.startActiveSpan('request', (span) => {
    const start = performance.now();
    for (let j = 0; j < BATCH; j++) {
      if (level === 'info') l.info('created workflow session', META);
      else l.error('workflow failed', ERROR);
    }
    took = performance.now() - start;
    span.end();
  });
  return took;
}

/** Lines/s of each variant over `lines` lines each, batches interleaved. */
async function round(level: 'info' | 'error', lines: number): Promise<number[]> {
  const ms = variants.map(() => 0);
  for (let b = 0; b < lines / BATCH; b++) {
    for (let k = 0; k < variants.length; k++) {
      const v = (b + k) % variants.length;
      ms[v]! += batch(variants[v]![1], level);
    }
    await new Promise((r) => setImmediate(r)); // let the streams drain, as a server would
  }
  return ms.map((t) => lines / (t / 1000));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  await round('info', 20_000); // warm-up
  await round('error', 4_000);
  const info: number[][] = variants.map(() => []);
  const error: number[][] = variants.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    (await round('info', LINES)).forEach((x, i) => info[i]!.push(x));
    (await round('error', LINES / 10)).forEach((x, i) => error[i]!.push(x));
  }
  console.log(
    `node ${process.version}, ${ROUNDS} rounds x ${LINES} info + ${LINES / 10} error lines per variant, batches of ${BATCH} interleaved, JSON to /dev/null`,
  );
  console.table(
    variants.map(([name], i) => ({
      variant: name,
      'info lines/s': Math.round(median(info[i]!)),
      'ratio info': (median(info[i]!) / median(info[0]!)).toFixed(3),
      'error lines/s': Math.round(median(error[i]!)),
      'ratio error': (median(error[i]!) / median(error[0]!)).toFixed(3),
    })),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
