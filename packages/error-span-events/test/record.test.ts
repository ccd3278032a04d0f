import assert from 'node:assert/strict';
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
