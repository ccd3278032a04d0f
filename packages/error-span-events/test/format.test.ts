import assert from 'node:assert/strict';
import request from 'supertest';
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { RPCType, setRPCMetadata } from '@opentelemetry/core';
import winston from 'winston';
import {
  describeExpress,
  disableTestTracing,
  enableTestTracing,
  type TestTracing,
} from '@ai-teams/test-utils';
import { errorSpanEvents } from '../src';
import { eventsNamed, lineOf, testLogger } from './helpers';

function chargeCard(): TypeError {
  return new TypeError('card declined'); // chargeCard-marker
}
const CHARGE_LINE = lineOf(__filename, 'chargeCard-marker');

describeExpress('errorSpanEvents() in a request', (createApp) => {
  let tracing: TestTracing;
  before(() => (tracing = enableTestTracing()));
  beforeEach(() => tracing.reset());

  it('adds one error_log event, the exception and status ERROR on the handler span, and ERROR on the server span', async () => {
    const { logger, capture } = testLogger(errorSpanEvents());
    const app = createApp();
    app.get('/pay', (_req, res) => {
      logger.error('payment failed', chargeCard());
      res.json({ ok: false });
    });
    await request(app).get('/pay').expect(200);
    const spans = await tracing.spans();
    const [server] = await tracing.serverSpans();
    assert.ok(server);
    const handler = spans.find((s) => s.name.startsWith('request handler'));
    assert.ok(handler, 'the express instrumentation opened a request handler span');

    const events = eventsNamed(spans, 'error_log');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.span, handler);
    assert.deepEqual(events[0]!.e.attributes, {
      'log.level': 'error',
      'log.message': 'payment failed card declined',
      'log.logger': 'checkout',
      'log.module': 'test/format.test.ts',
      'log.function': 'chargeCard',
      'log.line': CHARGE_LINE,
      'tracking.id': server.spanContext().traceId,
      'error.type': 'TypeError',
    });
    const exceptions = eventsNamed(spans, 'exception');
    assert.equal(exceptions.length, 1);
    assert.equal(exceptions[0]!.span, handler);
    const ex = exceptions[0]!.e.attributes!;
    assert.equal(ex['exception.type'], 'TypeError');
    assert.equal(ex['exception.message'], 'card declined');
    assert.match(String(ex['exception.stacktrace']), /^TypeError: card declined\n\s+at chargeCard/);

    assert.deepEqual(handler.status, {
      code: SpanStatusCode.ERROR,
      message: 'payment failed card declined',
    });
    assert.equal(handler.attributes['error.type'], 'TypeError');
    assert.equal(server.status.code, SpanStatusCode.ERROR, 'the failed request shows at the top');
    assert.equal(capture.lines().length, 1);
  });

  it('adds nothing for warn and info records', async () => {
    const { logger, capture } = testLogger(errorSpanEvents());
    const app = createApp();
    app.get('/fine', (_req, res) => {
      logger.warn('slow card provider', chargeCard());
      logger.info('paid');
      res.json({ ok: true });
    });
    await request(app).get('/fine').expect(200);
    const spans = await tracing.spans();
    assert.ok(spans.length > 1);
    for (const span of spans) {
      assert.deepEqual(span.events, [], span.name);
      assert.equal(span.status.code, SpanStatusCode.UNSET, span.name);
    }
    assert.equal(capture.lines().length, 2);
  });
});

describe('errorSpanEvents() on a span', () => {
  let tracing: TestTracing;
  before(() => (tracing = enableTestTracing()));
  beforeEach(() => tracing.reset());
  const tracer = () => trace.getTracer('test');

  /** Runs `fn` inside an active span and returns that span once exported. */
  async function inSpan(fn: () => void) {
    tracer().startActiveSpan('work', (span) => {
      fn();
      span.end();
    });
    const [span] = await tracing.spans();
    assert.ok(span);
    return span;
  }

  it('leaves every log line byte for byte as it is without the format', () => {
    const plain = testLogger();
    const traced = testLogger(errorSpanEvents({ level: 'warn' }));
    const err = Object.assign(chargeCard(), { code: 'E_CARD' });
    tracer().startActiveSpan('work', (span) => {
      for (const { logger } of [plain, traced]) {
        logger.error(err);
        logger.error('payment failed', err);
        logger.error('payment failed', { error: err, order: 7 });
        logger.log({ level: 'error', message: 'as an object', source: { module: 'm', line: 3 } });
        logger.warn('retrying', { attempt: 2 });
        logger.info('paid');
      }
      span.end();
    });
    assert.equal(plain.capture.raw().length, 6);
    assert.deepEqual(traced.capture.raw(), plain.capture.raw());
  });

  it('sets tracking.id to the trace id and reports a record without Error as UnknownError', async () => {
    const { logger } = testLogger(errorSpanEvents({ loggerName: 'billing' }));
    const span = await inSpan(() => logger.error('quota exceeded'));
    assert.deepEqual(
      span.events.map((e) => e.name),
      ['error_log'],
    );
    assert.deepEqual(span.events[0]!.attributes, {
      'log.level': 'error',
      'log.message': 'quota exceeded',
      'log.logger': 'billing',
      'tracking.id': span.spanContext().traceId,
      'error.type': 'UnknownError',
    });
    assert.deepEqual(span.status, { code: SpanStatusCode.ERROR, message: 'quota exceeded' });
  });

  it('finds the Error in logger.error(err), { error }, { err } and in a format.errors() record', async () => {
    const calls: [string, (l: winston.Logger) => void][] = [
      ['error(err)', (l) => l.error(chargeCard())],
      ['{ error }', (l) => l.error('failed', { error: chargeCard() })],
      ['{ err }', (l) => l.error('failed', { err: chargeCard() })],
      ['message: err', (l) => l.log({ level: 'error', message: chargeCard() as never })],
    ];
    for (const [name, call] of calls) {
      tracing.reset();
      const { logger } = testLogger(errorSpanEvents());
      const span = await inSpan(() => call(logger));
      assert.deepEqual(
        span.events.map((e) => e.name),
        ['exception', 'error_log'],
        name,
      );
      assert.equal(span.events[1]!.attributes!['error.type'], 'TypeError', name);
      assert.equal(span.events[1]!.attributes!['log.function'], 'chargeCard', name);
    }
    tracing.reset();
    const { logger } = testLogger(
      winston.format.combine(winston.format.errors({ stack: true }), errorSpanEvents()),
    );
    const span = await inSpan(() => logger.error(chargeCard()));
    assert.equal(span.events[0]!.attributes!['exception.type'], 'TypeError');
    assert.equal(span.events[1]!.attributes!['error.type'], 'TypeError');
    assert.equal(span.events[1]!.attributes!['log.line'], CHARGE_LINE);
  });

  it('reads an ES module frame (a file:// URL) as the path a CommonJS frame gives', async () => {
    const { logger } = testLogger(errorSpanEvents());
    const err = new Error('boom');
    err.stack = [
      'Error: boom',
      `    at load (file://${process.cwd()}/src/my%20jobs/run.mjs:12:7)`,
      '    at file:///srv/other%20app/main.mjs:3:1',
    ].join('\n');
    const outside = new Error('boom');
    outside.stack = 'Error: boom\n    at file:///srv/other%20app/main.mjs:3:1';
    const span = await inSpan(() => {
      logger.error('job failed', err);
      logger.error('job failed', outside);
    });
    const [under, other] = span.events.filter((e) => e.name === 'error_log');
    assert.equal(under!.attributes!['log.module'], 'src/my jobs/run.mjs');
    assert.equal(under!.attributes!['log.function'], 'load');
    assert.equal(under!.attributes!['log.line'], 12);
    assert.equal(other!.attributes!['log.module'], '/srv/other app/main.mjs');
  });

  it('takes log.module/function/line from the record source when there is no stack', async () => {
    const { logger } = testLogger(errorSpanEvents());
    const span = await inSpan(() =>
      logger.error('db down', { source: { module: 'orders.repo', function: 'save', line: 42 } }),
    );
    const attributes = span.events[0]!.attributes!;
    assert.equal(attributes['log.module'], 'orders.repo');
    assert.equal(attributes['log.function'], 'save');
    assert.equal(attributes['log.line'], 42);
  });

  it('honours level and levels: syslog crit counts at level error, warning does not', async () => {
    const { logger } = testLogger(
      errorSpanEvents({ levels: winston.config.syslog.levels, level: 'error' }),
      { levels: winston.config.syslog.levels, level: 'debug' },
    );
    const span = await inSpan(() => {
      logger.log('crit', 'disk full');
      logger.log('warning', 'disk 90%');
    });
    assert.deepEqual(
      span.events.map((e) => e.attributes!['log.level']),
      ['crit'],
    );
  });

  it('truncates long messages and stacks to the configured bounds', async () => {
    const { logger } = testLogger(errorSpanEvents({ maxMessageLength: 100, maxStackLength: 300 }));
    const huge = new Error('x'.repeat(100_000));
    const span = await inSpan(() => logger.error(huge));
    const [exception, event] = span.events;
    assert.equal(String(exception!.attributes!['exception.message']).length, 100);
    assert.equal(String(exception!.attributes!['exception.stacktrace']).length, 300);
    assert.equal(String(event!.attributes!['log.message']).length, 100);
    assert.equal(span.status.message?.length, 100);
  });

  it('bounds the names and locations that come from the value: error.type, log.module, log.function', async () => {
    const { logger } = testLogger(errorSpanEvents());
    const named = Object.assign(new Error('x'), { name: `Huge${'N'.repeat(300_000)}` });
    const span = await inSpan(() => {
      logger.error(named);
      logger.error('from a record', {
        source: { module: 'm'.repeat(300_000), function: 'f'.repeat(300_000), line: 1 },
      });
      // format.errors() leaves only the stack, whose first line names the type
      logger.error('stacked', { stack: `${'T'.repeat(300_000)}: boom\n    at x (/a.js:1:1)` });
    });
    const lengths = span.events.flatMap((e) =>
      Object.values(e.attributes!).map((v) => String(v).length),
    );
    assert.ok(
      lengths.every((n) => n <= 8192),
      `every event attribute bounded: ${Math.max(...lengths)}`,
    );
    const types = span.events.map(
      (e) => e.attributes!['error.type'] ?? e.attributes!['exception.type'],
    );
    for (const t of types) assert.ok(String(t).length <= 256, String(t).slice(0, 20));
    assert.match(String(types[0]), /^HugeN+…$/);
    const fromRecord = span.events.find((e) => e.attributes!['log.message'] === 'from a record')!;
    assert.equal(String(fromRecord.attributes!['log.module']).length, 256);
    assert.equal(String(fromRecord.attributes!['log.function']).length, 256);
    assert.ok(String(span.attributes['error.type']).length <= 256);
  });

  it("falls back on the request's server span when the active span has ended", async () => {
    const { logger } = testLogger(errorSpanEvents());
    const server = tracer().startSpan('GET /orders', { kind: 1 });
    const layer = tracer().startSpan('request handler');
    layer.end();
    const ctx = setRPCMetadata(trace.setSpan(context.active(), layer), {
      type: RPCType.HTTP,
      span: server,
    });
    context.with(ctx, () => logger.error('late failure'));
    server.end();
    const spans = await tracing.spans();
    const onServer = spans.find((s) => s.name === 'GET /orders')!;
    const onLayer = spans.find((s) => s.name === 'request handler')!;
    assert.deepEqual(onLayer.events, []);
    assert.deepEqual(
      onServer.events.map((e) => e.name),
      ['error_log'],
    );
    assert.deepEqual(onServer.status, { code: SpanStatusCode.ERROR, message: 'late failure' });
  });

  it('rejects a level that is not in the level map, naming the option', () => {
    assert.throws(() => errorSpanEvents({ level: 'fatal' }), /option "level" is "fatal".*"levels"/);
  });

  it('does nothing on a non-recording span and still writes the line', async () => {
    const { logger, capture } = testLogger(errorSpanEvents());
    const sampledOut = trace.wrapSpanContext({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 0,
    });
    context.with(trace.setSpan(context.active(), sampledOut), () => logger.error(chargeCard()));
    assert.equal(capture.lines().length, 1);
    assert.deepEqual(await tracing.spans(), []);
  });
});

describe('errorSpanEvents() without the SDK', () => {
  after(() => enableTestTracing());

  it('does not throw and still writes the line when there is no span at all', () => {
    disableTestTracing();
    const { logger, capture } = testLogger(errorSpanEvents());
    const err = chargeCard();
    logger.error('no tracing here', err);
    assert.deepEqual(capture.lines(), [
      {
        level: 'error',
        message: 'no tracing here card declined',
        service: 'checkout',
        stack: err.stack,
      },
    ]);
  });
});
