import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { enableTestTracing, type TestTracing } from '@ai-teams/test-utils';
import { recordErrorOnSpan } from '../src';
import { revokedProxy, withThrowingGetter } from './helpers';

describe('recordErrorOnSpan()', () => {
  let tracing: TestTracing;
  before(() => (tracing = enableTestTracing()));
  beforeEach(() => tracing.reset());

  async function onSpan(fn: (span: ReturnType<typeof trace.getActiveSpan>) => boolean) {
    let result = false;
    trace.getTracer('test').startActiveSpan('work', (span) => {
      result = fn(span);
      span.end();
    });
    const [span] = await tracing.spans();
    assert.ok(span);
    return { span, result };
  }

  it('records an Error with the given attributes, for loggers other than winston', async () => {
    const err = new SyntaxError('bad token');
    const { span, result } = await onSpan((s) =>
      recordErrorOnSpan(s, err, { 'log.logger': 'pino', 'log.level': 'fatal', 'order.id': 7 }),
    );
    assert.equal(result, true);
    assert.deepEqual(
      span.events.map((e) => e.name),
      ['exception', 'error_log'],
    );
    const attributes = span.events[1]!.attributes!;
    assert.equal(attributes['log.level'], 'fatal');
    assert.equal(attributes['log.logger'], 'pino');
    assert.equal(attributes['log.message'], 'bad token');
    assert.equal(attributes['error.type'], 'SyntaxError');
    assert.equal(attributes['order.id'], 7);
    assert.equal(attributes['tracking.id'], span.spanContext().traceId);
    assert.equal(attributes['log.module'], 'test/record.test.ts');
    assert.deepEqual(span.status, { code: SpanStatusCode.ERROR, message: 'bad token' });
  });

  it('accepts non-Error values as UnknownError', async () => {
    for (const [value, message] of [
      ['timeout', 'timeout'],
      [{ reason: 'quota' }, '{"reason":"quota"}'],
      [null, 'null'],
      [undefined, 'undefined'],
    ] as const) {
      tracing.reset();
      const { span } = await onSpan((s) => recordErrorOnSpan(s, value));
      assert.equal(span.events[0]!.attributes!['exception.type'], 'UnknownError');
      assert.equal(span.events[0]!.attributes!['exception.message'], message);
      assert.equal(span.events[1]!.attributes!['error.type'], 'UnknownError');
    }
  });

  it('uses the class name when a subclass did not set name', async () => {
    class PaymentError extends Error {}
    const { span } = await onSpan((s) => recordErrorOnSpan(s, new PaymentError('declined')));
    assert.equal(span.events[1]!.attributes!['error.type'], 'PaymentError');
  });

  it('takes log.module, log.function and log.line whole from Windows and macOS frames', async () => {
    const cases: [frame: string, location: string][] = [
      ['handler (C:\\srv\\app\\routes.js:42:7)', 'handler C:\\srv\\app\\routes.js:42'],
      ['C:\\srv\\app\\index.js:3:1', '- C:\\srv\\app\\index.js:3'],
      ['C:\\Users\\Jane Doe\\app\\routes.js:42:7', '- C:\\Users\\Jane Doe\\app\\routes.js:42'],
      // A frame without a function name has its path bare, " (" in it included.
      ['C:\\Program Files (x86)\\app\\index.js:3:1', '- C:\\Program Files (x86)\\app\\index.js:3'],
      [
        'fn (C:\\Program Files (x86)\\app\\index.js:3:1)',
        'fn C:\\Program Files (x86)\\app\\index.js:3',
      ],
      [
        'async C:\\Program Files (x86)\\app\\job.js:8:3',
        '- C:\\Program Files (x86)\\app\\job.js:8',
      ],
      ['\\\\server\\share\\app.js:1:2', '- \\\\server\\share\\app.js:1'],
      ['/Users/me/My Project/app.js:1:2', '- /Users/me/My Project/app.js:1'],
      ['/Users/me/Project (copy)/app.js:1:2', '- /Users/me/Project (copy)/app.js:1'],
      [
        'new Job (/Users/me/Project (copy)/job.js:5:9)',
        'new Job /Users/me/Project (copy)/job.js:5',
      ],
    ];
    const read: string[] = [];
    for (const [frame] of cases) {
      const err = new Error('failed');
      err.stack = `Error: failed\n    at ${frame}\n    at x (C:\\a.js:1:1)`;
      tracing.reset();
      const { span } = await onSpan((s) => recordErrorOnSpan(s, err));
      const a = span.events[1]!.attributes!;
      read.push(
        `${String(a['log.function'] ?? '-')} ${String(a['log.module'])}:${String(a['log.line'])}`,
      );
    }
    assert.deepEqual(
      read,
      cases.map(([, location]) => location),
    );
  });

  it('leaves log.line out of a frame whose line number has more digits than a number holds', async () => {
    const err = new Error('forged');
    err.stack = `Error: forged\n    at fn (/srv/app/a.js:${'9'.repeat(400)}:1)`;
    const { span } = await onSpan((s) => recordErrorOnSpan(s, err));
    const a = span.events[1]!.attributes!;
    assert.equal(a['log.module'], '/srv/app/a.js');
    assert.equal(a['log.function'], 'fn');
    assert.equal('log.line' in a, false);
  });

  it('takes log.module of an inline callback in a folder named with spaces and parentheses', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'My Project (copy) '));
    try {
      const file = path.join(dir, 'app.js');
      writeFileSync(file, "module.exports = [1].map(() => new Error('x'))[0];\n");
      const err = require(file) as Error;
      assert.ok(
        err.stack!.includes(`\n    at ${file}:1:`),
        `the premise, V8's frame: ${err.stack}`,
      );
      const { span } = await onSpan((s) => recordErrorOnSpan(s, err));
      const attributes = span.events[1]!.attributes!;
      assert.equal(attributes['log.module'], file);
      assert.equal(attributes['log.line'], 1);
      assert.equal(attributes['log.function'], undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('records the same exception once per span', async () => {
    const err = new Error('once');
    const { span } = await onSpan((s) => recordErrorOnSpan(s, err) && recordErrorOnSpan(s, err));
    assert.deepEqual(
      span.events.map((e) => e.name),
      ['exception', 'error_log', 'error_log'],
    );
  });

  it('returns false and does nothing without a recording span', async () => {
    assert.equal(recordErrorOnSpan(undefined, new Error('x')), false);
    const { span, result } = await onSpan(() =>
      recordErrorOnSpan(
        trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 0 }),
        'x',
      ),
    );
    assert.equal(result, false);
    assert.deepEqual(span.events, []);
  });

  it('bounds the message with maxMessageLength', async () => {
    const { span } = await onSpan((s) =>
      recordErrorOnSpan(s, 'y'.repeat(5000), {}, { maxMessageLength: 64 }),
    );
    assert.equal(String(span.events[1]!.attributes!['log.message']).length, 64);
    assert.ok(String(span.events[1]!.attributes!['log.message']).endsWith('…'));
  });

  it('keeps the default limits for limits given as undefined', async () => {
    const err = new Error('disk full');
    const { span } = await onSpan((s) =>
      recordErrorOnSpan(s, err, {}, { maxMessageLength: undefined, maxStackLength: undefined }),
    );
    assert.equal(span.events[1]!.attributes!['log.message'], 'disk full');
    assert.equal(span.events[0]!.attributes!['exception.message'], 'disk full');
    assert.equal(span.events[0]!.attributes!['exception.stacktrace'], err.stack);
  });

  it('records values whose properties throw when read instead of throwing', async () => {
    const named = withThrowingGetter(new Error('name getter'), 'name', 'name failed');
    const lazy = withThrowingGetter({}, 'message', 'message failed');
    for (const value of [revokedProxy(), named, lazy]) {
      const { span, result } = await onSpan((s) => recordErrorOnSpan(s, value));
      assert.equal(result, true);
      assert.equal(span.status.code, SpanStatusCode.ERROR);
      assert.deepEqual(
        span.events.map((e) => e.name),
        ['exception', 'error_log'],
      );
      tracing.reset();
    }
  });
});
