import { captureLines } from '@ai-teams/test-utils';
import { createLogger } from '../src';
import type { LoggerOptions } from '../src';

/** A logger writing synchronously into a line capture, with no environment leaking in. */
export function capturedLogger(options: Partial<LoggerOptions> = {}) {
  const out = captureLines();
  const logger = createLogger({
    service: 'api-gateway',
    environment: 'dev',
    ...options,
    stream: out.stream,
    sync: true,
    env: {},
  });
  return { out, logger };
}
