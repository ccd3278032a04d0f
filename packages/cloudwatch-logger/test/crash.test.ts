import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createLogger } from '../src';

interface Crash {
  code: number | null;
  lines: Record<string, any>[];
  stderr: string;
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

/**
 * Runs the crash fixture as its own process until it ends. `slowReader`: its stdout is read only
 * once it says on stderr that it is crashing, as a log shipper that has fallen behind.
 */
function crash(kind: string, slowReader = false, closedStdout = false): Promise<Crash> {
  const child = spawn(
    process.execPath,
    [path.join(__dirname, 'fixtures', 'crash-child.cjs'), kind],
    {
      env: { PATH: process.env.PATH ?? '', TRACE_ID },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.includes('crashing\n')) child.stdout.resume();
  });
  if (slowReader) child.stdout.pause();
  if (closedStdout) child.stdout.destroy(); // the reader is gone before the child writes
  return new Promise((resolve) =>
    child.on('close', (code) =>
      resolve({
        code,
        lines: stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, any>),
        stderr,
      }),
    ),
  );
}

const errorLines = (c: Crash) => c.lines.filter((l) => l['@level'] === 'ERROR');

describe('createLogger({ handleExceptions: true })', () => {
  it('writes one JSON line with the request tracking id for a throw in a timer, and exits 1', async () => {
    const c = await crash('timer');
    assert.equal(c.code, 1);
    assert.equal(c.stderr, '', 'nothing of the crash on stderr');
    const [line, ...more] = errorLines(c);
    assert.equal(more.length, 0);
    assert.equal(line!['@message'], 'uncaught exception: timer failed');
    assert.equal(line!.tracking_id, TRACE_ID);
    assert.deepEqual(line!.error, {
      type: 'TypeError',
      message: 'timer failed',
      category: 'server',
    });
    assert.equal(line!.exception.class, 'TypeError');
    assert.match(line!.exception.stack_trace, /TypeError: timer failed\n {4}at /);
    assert.equal(c.lines.find((l) => l['@message'] === 'working')!.tracking_id, TRACE_ID);
  });

  it('writes the line for a promise rejection nobody handled, in its request', async () => {
    const c = await crash('rejection');
    assert.equal(c.code, 1);
    const [line, ...more] = errorLines(c);
    assert.equal(more.length, 0);
    assert.equal(line!['@message'], 'uncaught exception: nobody handled this');
    assert.equal(line!.tracking_id, TRACE_ID);
    assert.equal(line!.error.type, 'RangeError');
  });

  it('writes it for a throw at start-up, outside any request', async () => {
    const c = await crash('start-up');
    assert.equal(c.code, 1);
    assert.deepEqual(
      c.lines.map((l) => [l['@message'], l.tracking_id]),
      [['uncaught exception: crash: start-up', 'unknown']],
    );
  });

  it('runs the crash flushes before it exits', async () => {
    const c = await crash('flushed');
    assert.equal(c.code, 1);
    assert.deepEqual(
      c.lines.map((l) => l['@message']),
      ['uncaught exception: crash: flushed', 'flushed'],
    );
    assert.equal(c.lines[1]!.flushed_for, 'crash: flushed');
  });

  it('exits 1 after exceptionFlushMs when a flush never ends', async () => {
    const c = await crash('hang');
    assert.equal(c.code, 1);
    assert.deepEqual(
      c.lines.map((l) => l['@message']),
      ['uncaught exception: crash: hang'],
    );
  });

  it('exits 1 when a flush throws and another crashes the process again', async () => {
    const c = await crash('flush-throws');
    assert.equal(c.code, 1);
    assert.deepEqual(
      c.lines.map((l) => l['@message']),
      [
        'uncaught exception: crash: flush-throws',
        'uncaught exception while flushing: second crash',
      ],
    );
  });

  it('exits 1 when the logger stream is stuck, with the crash on stderr as Node would print it', async () => {
    const c = await crash('stuck');
    assert.equal(c.code, 1);
    assert.match(c.stderr, /^uncaught exception: Error: crash: stuck\n {4}at /);
  });

  it('puts the crash on stderr when stdout is closed (EPIPE), the line being lost', async () => {
    const c = await crash('closed-stdout', false, true);
    assert.equal(c.code, 1);
    assert.match(c.stderr, /\nuncaught exception: Error: crash: closed-stdout\n {4}at /);
  });

  it("writes the line before an app's own earlier listener calls process.exit()", async () => {
    const c = await crash('app-exits');
    assert.equal(c.code, 3);
    assert.deepEqual(
      c.lines.map((l) => l['@message']),
      ['uncaught exception: crash: app-exits'],
    );
  });

  it('exits only once a pipe that was full has taken every line, the crash line last', async () => {
    const c = await crash('slow-reader', true);
    assert.equal(c.code, 1);
    assert.equal(c.lines.length, 2001);
    assert.equal(c.lines.at(-1)!['@message'], 'uncaught exception: crash: slow-reader');
  });

  it('writes the line for an Error whose message is a Symbol', async () => {
    const c = await crash('symbol-message');
    assert.equal(c.code, 1);
    assert.deepEqual(
      errorLines(c).map((l) => l['@message']),
      ['uncaught exception: Symbol(not a string)'],
    );
  });

  it('is installed once however many loggers ask: one line per crash', async () => {
    const c = await crash('twice');
    assert.equal(c.code, 1);
    assert.equal(errorLines(c).length, 1);
  });

  it('is off by default: Node prints the stack on stderr and exits 1, no line', async () => {
    const c = await crash('off');
    assert.equal(c.code, 1);
    assert.equal(errorLines(c).length, 0);
    assert.match(c.stderr, /Error: crash: off\n {4}at /);
  });
});

describe('createLogger() exceptionFlushMs', () => {
  it('names the option when it is not a whole number of milliseconds', () => {
    assert.throws(
      () => createLogger({ service: 's', exceptionFlushMs: 1.5 }),
      /`exceptionFlushMs` must be a whole number of milliseconds/,
    );
  });
});
