import http from 'node:http';
import autocannon from 'autocannon';

export interface Load {
  rps: number;
  /** Latency percentiles in ms, from every response's own timing (not autocannon's 1 ms bins). */
  p50: number;
  p99: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * autocannon against `url`, for `duration` seconds or `amount` requests; fails on any non-2xx
 * answer or socket error.
 */
export async function load(
  url: string,
  options: { connections: number; rate?: number } & ({ duration: number } | { amount: number }),
): Promise<Load> {
  const { rate, ...rest } = options;
  // autocannon's own histogram has 1 ms resolution: too coarse for a p99 of a few ms.
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    // `rate`: at most that many requests per second in all (autocannon's overallRate, released
    // in bursts at the start of each second), instead of as many as the server can answer.
    const instance = autocannon(
      { url, ...rest, ...(rate === undefined ? {} : { overallRate: rate }) },
      (err, r) => (err ? reject(err) : resolve(r)),
    );
    instance.on('response', (_client, _status, _bytes, ms) => {
      if (n === latencies.length) {
        const bigger = new Float64Array(n * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[n++] = ms;
    });
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  const sorted = latencies.subarray(0, n).sort();
  return {
    rps:
      result.requests.total / (result.duration || ('duration' in options ? options.duration : NaN)),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

/**
 * An open-loop load: request i is due at i / `rate` seconds and sent then (over a keep-alive
 * pool of at most `connections` sockets; a request finding them all busy waits in the pool),
 * and its latency counts from when it was due, so a server that falls behind pays for every
 * request it delays (no coordinated omission). The load of a service at a steady rate below
 * its capacity, where autocannon's `overallRate` sends each second's requests in one burst.
 * Fails on any non-2xx answer or socket error.
 */
export async function openLoad(
  url: string,
  options: { rate: number; duration: number; connections: number },
): Promise<Load> {
  const { rate, duration, connections } = options;
  const total = Math.floor(rate * duration);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies = new Float64Array(total);
  let done = 0;
  let failed: Error | undefined;
  const start = performance.now();
  const finished = new Promise<void>((resolve) => {
    const complete = (i: number, due: number, error?: Error) => {
      latencies[i] = performance.now() - due;
      if (error) failed ??= error;
      if (++done === total) resolve();
    };
    let sent = 0;
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
      for (; sent < due; sent++) {
        const i = sent;
        const at = start + (i / rate) * 1000;
        http
          .get(url, { agent }, (res) => {
            res.resume();
            res.once('end', () =>
              complete(
                i,
                at,
                res.statusCode! >= 300 ? new Error(`status ${res.statusCode}`) : undefined,
              ),
            );
          })
          .once('error', (e) => complete(i, at, e));
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  await finished;
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  if (failed) throw new Error(`${url}: ${failed.message}`);
  const sorted = latencies.sort();
  return { rps: total / elapsed, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}
