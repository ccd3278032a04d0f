import { createWriteStream } from 'node:fs';
import { createLogger } from '@ai-teams/cloudwatch-logger';
import pino from 'pino';
import * as winston from 'winston';

// Raw `logger.info` lines per second, JSON to /dev/null: cloudwatch-logger against pino
// (and plain winston with its json format, for scale). Same stream type for all.
const LINES = Number(process.env.BENCH_LINES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCH = 1000;

type Log = (msg: string, meta?: Record<string, unknown>) => void;

const devNull = () => createWriteStream('/dev/null');

const cw = createLogger({ service: 'bench', environment: 'staging', stream: devNull(), env: {} });
const pn = pino({ base: { service: 'bench' } }, devNull());
const wn = winston.createLogger({
  level: 'info',
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.Stream({ stream: devNull() })],
});

const loggers: Record<string, { plain: Log; meta: Log }> = {
  'cloudwatch-logger': { plain: (m) => cw.info(m), meta: (m, x) => cw.info(m, x) },
  pino: { plain: (m) => pn.info(m), meta: (m, x) => pn.info(x, m) },
  'winston json': { plain: (m) => wn.info(m), meta: (m, x) => wn.info(m, x) },
};

const META = { user_id: 'user_12345', request_method: 'POST', items: 3, cached: false };

async function run(log: Log, withMeta: boolean, lines: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < lines; i += BATCH) {
    for (let j = 0; j < BATCH; j++) {
      if (withMeta) log('created workflow session', META);
      else log('created workflow session');
    }
    await new Promise((r) => setImmediate(r)); // let the stream drain, as a server would
  }
  return lines / ((performance.now() - start) / 1000);
}

async function main() {
  const results: Record<string, Record<string, number[]>> = {};
  for (const [name, l] of Object.entries(loggers)) {
    await run(l.plain, false, 20_000); // warm-up
    await run((m) => l.meta(m, META), true, 20_000);
    results[name] = { plain: [], meta: [] };
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, l] of Object.entries(loggers)) {
      results[name]!.plain!.push(await run(l.plain, false, LINES));
      results[name]!.meta!.push(await run((m) => l.meta(m, META), true, LINES));
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = results.pino!;
  console.log(`node ${process.version}, ${ROUNDS} rounds x ${LINES} lines, JSON to /dev/null`);
  console.table(
    Object.entries(results).map(([name, r]) => ({
      logger: name,
      'lines/s (message only)': Math.round(median(r.plain!)),
      'vs pino': (median(r.plain!) / median(base.plain!)).toFixed(2),
      'lines/s (message + 4 fields)': Math.round(median(r.meta!)),
      'vs pino ': (median(r.meta!) / median(base.meta!)).toFixed(2),
    })),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
