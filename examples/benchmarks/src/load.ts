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
