import type { Express } from 'express';
import { captureLines, type LineCapture, type TestTracing } from '@ai-teams/test-utils';
import { readFileSync } from 'node:fs';
import winston from 'winston';
import type { Format } from 'logform';

export type ReadableSpan = Awaited<ReturnType<TestTracing['spans']>>[number];

export interface TestLogger {
  logger: winston.Logger;
  capture: LineCapture;
}

/** A real winston logger writing JSON lines to a capture; `extra` goes before `json()`. */
export function testLogger(extra?: Format, options: winston.LoggerOptions = {}): TestLogger {
  const capture = captureLines();
  const { combine, json } = winston.format;
  const logger = winston.createLogger({
    level: 'silly',
    defaultMeta: { service: 'checkout' },
    format: extra ? combine(extra, json()) : json(),
    transports: [new winston.transports.Stream({ stream: capture.stream })],
    ...options,
  });
  return { logger, capture };
}

/** Events of one name across spans. */
export function eventsNamed(spans: ReadableSpan[], name: string) {
  return spans.flatMap((s) => s.events.filter((e) => e.name === name).map((e) => ({ span: s, e })));
}

/** 1-based line of the first line of `file` that contains `marker`. */
export function lineOf(file: string, marker: string): number {
  return (
    readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(marker)) + 1
  );
}

/** A revoked proxy: even `instanceof` on it throws. */
export function revokedProxy(): object {
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  return revocable.proxy;
}

/** `target` with an enumerable `key` whose getter throws `message`. */
export function withThrowingGetter<T extends object>(target: T, key: string, message: string): T {
  Object.defineProperty(target, key, {
    enumerable: true,
    get() {
      throw new Error(message);
    },
  });
  return target;
}

/**
 * A pool that runs a waiting callback in the context of the request that frees it: `GET /wait`
 * queues its `next(err)`, `GET /release` runs it, so request A's error reaches the error handler
 * while request B's context is the current one. Mount after trackingId(), before the error
 * handler; the function returned sends A, then B once A waits, and gives both answers.
 */
export function poolRoutes(app: Pick<Express, 'get'>) {
  const waiting: (() => void)[] = [];
  app.get('/wait', (_req, _res, next) => {
    waiting.push(() => next(new Error('pool failed')));
  });
  app.get('/release', (_req, res) => {
    waiting.shift()!();
    res.send('released');
  });
  return async (url: string): Promise<{ a: Response; b: Response }> => {
    const a = fetch(`${url}/wait`);
    while (waiting.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const b = await fetch(`${url}/release`);
    return { a: await a, b };
  };
}
