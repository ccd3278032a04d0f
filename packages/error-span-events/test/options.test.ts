import assert from 'node:assert/strict';
import { context, trace } from '@opentelemetry/api';
import { enableTestTracing } from '@ai-teams/test-utils';
import { errorHandler, errorSpanEvents, recordErrorOnSpan } from '../src';
import { eventsNamed, testLogger } from './helpers';

// Plain JavaScript (or a config file) can hand any value to any option: each wrong one must fail
// at creation naming the option and the value, not with a cryptic error or limits never applied.
const wrong = (value: unknown) => value as never;

function throwsNaming(make: () => unknown, type: typeof TypeError, message: RegExp): void {
  assert.throws(make, (err: Error) => err instanceof type && message.test(err.message));
}

describe('options checked at creation', () => {
  it('rejects wrong errorSpanEvents() options, naming the option and the value', () => {
    throwsNaming(
      () => errorSpanEvents({ levels: wrong(['error', 'warn']) }),
      TypeError,
      /option "levels" must map level names to numbers.*got an array/,
    );
    throwsNaming(
      () => errorSpanEvents({ levels: wrong({ error: 'zero' }) }),
      TypeError,
      /option "levels" must map level names to numbers/,
    );
    throwsNaming(
      () => errorSpanEvents({ level: 'toString' }),
      TypeError,
      /option "level" is "toString", which is not one of the levels/,
    );
    throwsNaming(
      () => errorSpanEvents({ eventName: wrong(42) }),
      TypeError,
      /option "eventName" must be a string, got 42/,
    );
    throwsNaming(
      () => errorSpanEvents({ loggerName: wrong({}) }),
      TypeError,
      /option "loggerName" must be a string, got an object/,
    );
    throwsNaming(
      () => errorSpanEvents({ maxMessageLength: wrong('100') }),
      TypeError,
      /errorSpanEvents\(\): option "maxMessageLength" must be a number, got "100"/,
    );
    throwsNaming(
      () => errorSpanEvents({ maxStackLength: -1 }),
      RangeError,
      /option "maxStackLength" must be an integer >= 1, got -1/,
    );
  });

  it('rejects wrong errorHandler() options, naming the option and the value', () => {
    throwsNaming(
      () => errorHandler({ environment: wrong(1) }),
      TypeError,
      /errorHandler\(\): option "environment" must be a string, got 1/,
    );
    throwsNaming(
      () => errorHandler({ maxMessageLength: 0 }),
      RangeError,
      /errorHandler\(\): option "maxMessageLength" must be an integer >= 1, got 0/,
    );
    throwsNaming(
      () => errorHandler({ maxStackLength: wrong(NaN) }),
      RangeError,
      /option "maxStackLength" must be an integer >= 1, got NaN/,
    );
  });

  it('keeps the defaults of options passed as undefined', () => {
    assert.equal(
      typeof errorSpanEvents({ levels: undefined, eventName: undefined }).transform,
      'function',
    );
    assert.equal(errorHandler({ environment: undefined, maxMessageLength: undefined }).length, 4);
  });

  it('takes Infinity as no limit, as the OpenTelemetry SDK attribute limits do', async () => {
    // A limit of Infinity kept whole messages and stacks before the check, and still does.
    assert.equal(errorHandler({ maxMessageLength: Infinity, maxStackLength: Infinity }).length, 4);
    const tracing = enableTestTracing();
    tracing.reset();
    const long = 'x'.repeat(5000);
    const { logger } = testLogger(
      errorSpanEvents({ maxMessageLength: Infinity, maxStackLength: Infinity }),
    );
    const span = trace.getTracer('test').startSpan('work');
    context.with(trace.setSpan(context.active(), span), () => logger.error(long));
    recordErrorOnSpan(span, new Error(long), {}, { maxMessageLength: Infinity });
    span.end();
    const events = eventsNamed(await tracing.spans(), 'error_log');
    assert.equal(events.length, 2);
    for (const { e } of events) assert.equal(e.attributes?.['log.message'], long);
  });

  it('rejects options that are not an object, naming the factory', () => {
    throwsNaming(
      () => errorSpanEvents(wrong('error')),
      TypeError,
      /^errorSpanEvents\(\): options must be an object, got "error"$/,
    );
    throwsNaming(
      () => errorHandler(wrong('prod')),
      TypeError,
      /^errorHandler\(\): options must be an object, got "prod"$/,
    );
    // null: the defaults, as for each option.
    assert.equal(typeof errorHandler(wrong(null)), 'function');
    assert.equal(typeof errorSpanEvents(wrong(null)).transform, 'function');
  });
});
