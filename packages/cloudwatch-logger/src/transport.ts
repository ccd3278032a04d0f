import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import Transport from 'winston-transport';
import { isOwnAccessRecord } from './access-line';
import { CONTEXT } from './context';

const FLUSH_AT = 64 * 1024;
/**
 * Bytes a stream may hold unwritten (its consumer stuck or gone slow) before further lines are
 * dropped and counted: memory stays bounded whatever happens downstream.
 */
export const MAX_BUFFERED = 8 * 1024 * 1024;
/** What a deferred access line is counted as towards FLUSH_AT (they are 300–600 bytes). */
const ACCESS_LINE_BYTES = 512;

type Info = Record<string | symbol, unknown>;

/** Streams watched for errors: one listener each, however many loggers share them. */
const watched = new WeakSet<Writable>();

/**
 * A stream that fails (EPIPE once stdout's reader is gone, ENOSPC on a file) emits 'error'; with
 * no listener that ends the process. The lines are lost either way: say so once per stream.
 */
function watch(stream: Writable): void {
  if (watched.has(stream) || typeof stream.on !== 'function') return;
  watched.add(stream);
  let warned = false;
  stream.on('error', (err: Error) => {
    if (warned) return;
    warned = true;
    process.emitWarning(`log lines could not be written: ${err.message}`, {
      code: 'AI_TEAMS_LOG_STREAM',
    });
  });
}

/** How long the exit-time write waits for a full pipe to take its lines. */
const EXIT_WRITE_MS = 1000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * All of `text` to `fd`, synchronously: stdout as a pipe is non-blocking, so a write can be
 * partial or refused (EAGAIN) while the reader catches up; retried for up to EXIT_WRITE_MS.
 */
function writeAllSync(fd: number, text: string): void {
  const data = Buffer.from(text);
  const deadline = Date.now() + EXIT_WRITE_MS;
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += writeSync(fd, data, offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > deadline) return;
      Atomics.wait(sleeper, 0, 0, 1);
    }
  }
}

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
 *
 * `requestLogger()`'s own access records (see `isOwnAccessRecord`) are rendered when the turn's
 * lines are joined, with the time taken at the call and the request's ids already captured on
 * the record: the same line, made in a run with the others, where its code and data are still
 * in cache (one at a time, between the rest of a request's work, it measured several times
 * slower). Every other record is rendered at the call, since its caller may change its objects
 * afterwards. Lines keep their order either way.
 */
export class JsonLineTransport extends Transport {
  /** Lines of this turn: rendered text, or an access record to render at the flush. */
  private lines: (string | Info)[] = [];
  /** The time of each deferred record, at the same index as in `lines`. */
  private times: number[] = [];
  private bytes = 0;
  private scheduled = false;
  /** Chunks held while the stream is above its high-water mark (see `send`). */
  private held: string[] = [];
  private heldBytes = 0;
  private waiting = false;
  /** Lines dropped while more than MAX_BUFFERED was held, reported when it drains. */
  private dropped = 0;
  /** Records winston has handed to `log()`: a failed call that moved it was written. */
  received = 0;

  constructor(
    private readonly stream: Writable,
    private readonly render: (info: Info, at?: number) => string,
    readonly sync = false,
    readonly clock: () => number = Date.now,
  ) {
    super();
    watch(stream);
    this.flush = this.flush.bind(this);
    this.drained = this.drained.bind(this);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', flushAllAtExit);
    }
  }

  override log(info: Info, next: () => void): void {
    this.received++;
    if (this.sync) this.send(`${this.render(info)}\n`, 1);
    // Deferred only with the request's ids already on the record (the logger's format).
    else if (info[CONTEXT] !== undefined && isOwnAccessRecord(info)) {
      this.deferAccessLine(info, this.clock());
    } else this.add(this.render(info), 0);
    next();
  }

  /**
   * An access record to render at the end of the turn, at time `at`: for the direct writer,
   * which has checked the record's shape already and stamps its OTLP copy with the same
   * instant, so the two agree to the millisecond. Not for a `sync` transport.
   */
  deferAccessLine(info: Info, at: number): void {
    this.times[this.lines.length] = at;
    this.add(info, ACCESS_LINE_BYTES);
  }

  /** Queues a rendered line (its own size) or a deferred record (`bytes` counted for it). */
  private add(line: string | Info, bytes: number): void {
    this.lines.push(line);
    this.bytes += typeof line === 'string' ? line.length + 1 : bytes;
    if (this.bytes >= FLUSH_AT) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      pendingAtExit.add(this);
      setImmediate(this.flush);
    }
  }

  /** The pending lines as one chunk, emptied. */
  private take(): string {
    const { lines, times } = this;
    let chunk = '';
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      chunk += `${typeof line === 'string' ? line : this.render(line, times[i])}\n`;
    }
    this.lines = [];
    this.times = [];
    this.bytes = 0;
    return chunk;
  }

  /** Writes the pending lines now. */
  flush(): void {
    this.scheduled = false;
    pendingAtExit.delete(this);
    const count = this.lines.length;
    if (count === 0) return;
    this.send(this.take(), count);
  }

  /**
   * `chunk` (`count` lines) to the stream. While the stream is above its high-water mark,
   * chunks are held here instead, in order, and written when it drains: what Node has not
   * written yet is lost if the process exits, what is held here is written then (see
   * flushAtExit). Past MAX_BUFFERED held, lines are dropped and counted, and a line saying how
   * many follows the held ones once the stream has caught up.
   */
  private send(chunk: string, count: number): void {
    if (this.stream.destroyed) return;
    if (this.waiting) {
      if (this.dropped > 0 || this.heldBytes + chunk.length > MAX_BUFFERED) {
        this.dropped += count;
        return;
      }
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      pendingAtExit.add(this);
      return;
    }
    this.writeOut(chunk);
  }

  private writeOut(chunk: string): void {
    if (this.stream.write(chunk)) return;
    this.waiting = true;
    pendingAtExit.add(this);
    this.stream.once('drain', this.drained);
  }

  /** The stream caught up: the held chunks, then the count of dropped lines, if any. */
  private drained(): void {
    this.waiting = false;
    while (this.held.length > 0) {
      const chunk = this.held.shift()!;
      this.heldBytes -= chunk.length;
      this.writeOut(chunk);
      if (this.waiting) return;
    }
    if (this.dropped > 0) {
      const dropped = this.dropped;
      this.dropped = 0;
      this.writeOut(`${this.droppedLine(dropped)}\n`);
      if (this.waiting) return;
    }
    if (!this.scheduled) pendingAtExit.delete(this);
  }

  private droppedLine(dropped: number): string {
    return this.render({
      level: 'warn',
      message: `${dropped} log lines dropped: the log stream was not keeping up`,
      tracking_id: 'none',
      log: { dropped_lines: dropped },
    });
  }

  /**
   * At exit no asynchronous write completes later: the held chunks and the turn's lines go to
   * stdout or stderr synchronously. Node's own unwritten data is lost with the process; if a
   * chunk of it was cut off mid-line, ours start on a new line.
   */
  flushAtExit(): void {
    const fd = this.stream === process.stdout ? 1 : this.stream === process.stderr ? 2 : -1;
    if (fd === -1) return this.flush();
    let chunk = this.held.join('');
    this.held = [];
    this.heldBytes = 0;
    if (this.dropped > 0) {
      chunk += `${this.droppedLine(this.dropped)}\n`;
      this.dropped = 0;
    }
    if (this.lines.length > 0) chunk += this.take();
    if (chunk === '') return;
    if (this.stream.writableLength > 0) chunk = `\n${chunk}`;
    writeAllSync(fd, chunk);
  }

  override close(): void {
    this.flush();
  }

  override _final(callback: () => void): void {
    this.flush();
    callback();
  }
}
