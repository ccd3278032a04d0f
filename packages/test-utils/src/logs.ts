import { Writable } from 'node:stream';

export interface LineCapture {
  stream: Writable;
  /** Raw lines written so far (without the trailing newline). */
  raw(): string[];
  /** Every line parsed as JSON; throws with the offending line if one is not JSON. */
  lines(): Record<string, unknown>[];
  clear(): void;
}

/** A writable sink that records newline-delimited output, for asserting on JSON log lines. */
export function captureLines(): LineCapture {
  let buffer = '';
  const done: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        done.push(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
      }
      cb();
    },
  });
  return {
    stream,
    raw: () => [...done],
    lines: () =>
      done.map((line) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          throw new Error(`not a JSON line: ${line.slice(0, 200)}`);
        }
      }),
    clear: () => {
      done.length = 0;
      buffer = '';
    },
  };
}

/** Resolves on the next macrotask: lets `finish`/`close` listeners of a response run. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
