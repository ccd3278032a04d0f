import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import Transport from 'winston-transport';

const FLUSH_AT = 64 * 1024;

/** Transports with lines pending, flushed synchronously if the process exits first. */
const pendingAtExit = new Set<JsonLineTransport>();
let exitHook = false;

function flushAllAtExit(): void {
  for (const t of pendingAtExit) t.flushAtExit();
}

/**
 * The JSON-line transport. It has no winston `format` of its own, so winston hands it the
 * record without the per-line copy a transport format costs, and it does not modify the record.
 * Lines are joined and written once per event-loop turn (or at 64 KB): one write call for
 * many lines instead of one each, which is most of a log line's cost on a busy server. With
 * `sync`, every line is written at once.
 */
export class JsonLineTransport extends Transport {
  private pending = '';
  private scheduled = false;

  constructor(
    private readonly stream: Writable,
    private readonly render: (info: Record<string | symbol, unknown>) => string,
    private readonly sync = false,
  ) {
    super();
    this.flush = this.flush.bind(this);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', flushAllAtExit);
    }
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    const line = `${this.render(info)}\n`;
    if (this.sync) this.stream.write(line);
    else {
      this.pending += line;
      if (this.pending.length >= FLUSH_AT) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        pendingAtExit.add(this);
        setImmediate(this.flush);
      }
    }
    next();
  }

  /** Writes the pending lines now. */
  flush(): void {
    this.scheduled = false;
    pendingAtExit.delete(this);
    if (this.pending === '') return;
    const chunk = this.pending;
    this.pending = '';
    this.stream.write(chunk);
  }

  /** At exit no write completes later: stdout and stderr are written synchronously. */
  flushAtExit(): void {
    const fd = this.stream === process.stdout ? 1 : this.stream === process.stderr ? 2 : -1;
    if (fd === -1 || this.pending === '') return this.flush();
    const chunk = this.pending;
    this.pending = '';
    try {
      writeSync(fd, chunk);
    } catch {
      // stdout already closed: nothing left to write to
    }
  }

  override close(): void {
    this.flush();
  }

  override _final(callback: () => void): void {
    this.flush();
    callback();
  }
}
