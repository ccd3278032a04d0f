import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';

/**
 * A diag logger that prints at most one line per interval and counts what it held back, so a
 * collector that is down gives one line a minute instead of one per failed batch.
 */
export function rateLimitedDiag(
  intervalMs: number,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  now: () => number = Date.now,
): DiagLogger {
  let last = -Infinity;
  let suppressed = 0;
  const emit =
    (level: string) =>
    (message: string, ...args: unknown[]) => {
      const t = now();
      if (t - last < intervalMs) {
        suppressed++;
        return;
      }
      const extra = args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
      const held = suppressed ? ` (${suppressed} similar messages suppressed)` : '';
      write(`[telemetry] ${level}: ${message}${extra ? ` ${extra}` : ''}${held}`);
      last = t;
      suppressed = 0;
    };
  const quiet = () => undefined;
  return { error: emit('error'), warn: emit('warn'), info: quiet, debug: quiet, verbose: quiet };
}

export function installDiag(intervalMs: number): void {
  diag.setLogger(rateLimitedDiag(intervalMs), {
    logLevel: DiagLogLevel.WARN,
    suppressOverrideMessage: true,
  });
}
