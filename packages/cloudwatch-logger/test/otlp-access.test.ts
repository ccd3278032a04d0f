import assert from 'node:assert/strict';
import { logs } from '@opentelemetry/api-logs';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import { OpenTelemetryTransportV3 } from '@opentelemetry/winston-transport';
import type { Request } from 'express';
import request from 'supertest';
import {
  captureLines,
  describeExpress,
  disableTestTracing,
  enableTestTracing,
  tick,
} from '@ai-teams/test-utils';
import { trackingId } from '@ai-teams/tracking-id';
import { createLogger, requestLogger } from '../src';
import { capturedLogger } from './helpers';

const LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];
/** The clock of the deferring logger: its records are told apart by this time. */
const CLOCK_MS = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

function millis(r: ReadableLogRecord): number {
  return r.hrTime[0] * 1000 + Math.round(r.hrTime[1] / 1e6);
}

function shape(r: ReadableLogRecord) {
  return {
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    body: r.body,
    attributes: r.attributes,
    traceId: r.spanContext?.traceId,
    spanId: r.spanContext?.spanId,
  };
}

describeExpress('the OTLP copy of access lines', (createApp) => {
  let exporter: InMemoryLogRecordExporter;
  let provider: LoggerProvider;
  before(() => {
    enableTestTracing();
    exporter = new InMemoryLogRecordExporter();
    provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    // @opentelemetry/winston-transport emits through this API's global, as under the
    // winston instrumentation.
    logs.setGlobalLoggerProvider(provider);
  });
  after(async () => {
    logs.disable();
    await provider.shutdown();
    disableTestTracing();
  });

  it("is the record the OpenTelemetry transport makes, in the request's trace, at the line's time", async () => {
    exporter.reset();
    const out = captureLines();
    // Lines joined per turn: access records are rendered and copied to OTLP at its end.
    const deferring = createLogger({
      service: 'svc',
      level: 'silly',
      stream: out.stream,
      env: {},
      clock: () => CLOCK_MS,
      transports: [new OpenTelemetryTransportV3()],
    });
    // Every line written at the call: the transport's own log() makes the OTLP record.
    const immediate = createLogger({
      service: 'svc',
      level: 'silly',
      stream: captureLines().stream,
      sync: true,
      env: {},
      transports: [new OpenTelemetryTransportV3()],
    });
    // The same level and duration in both: the level from the query, no clock for durations.
    const options = {
      levelFor: (_s: number, req: Request) => String(req.query.level),
      now: () => 0,
    };
    const app = createApp();
    app.use(trackingId());
    app.use(requestLogger({ logger: deferring, ...options }));
    app.use(requestLogger({ logger: immediate, ...options }));
    app.get('/s/:code', (req, res) => {
      res.status(Number(req.params.code)).send('body');
    });
    const ids: string[] = [];
    for (const [i, level] of LEVELS.entries()) {
      const res = await request(app)
        .get(`/s/${200 + i}?level=${level}`)
        .set('user-agent', 'probe');
      ids.push(String(res.headers['x-tracking-id']));
    }
    await tick();
    await tick();
    const records = exporter.getFinishedLogRecords();
    const deferred = records.filter((r) => millis(r) === CLOCK_MS);
    const direct = records.filter((r) => millis(r) !== CLOCK_MS);
    assert.equal(deferred.length, LEVELS.length);
    assert.equal(direct.length, LEVELS.length);
    for (const [i, level] of LEVELS.entries()) {
      const d = shape(deferred[i]!);
      assert.deepEqual(d, shape(direct[i]!), `level ${level}`);
      assert.equal(d.severityText, level);
      assert.equal(d.body, `GET /s/${200 + i} - ${200 + i}`);
      assert.equal(d.traceId, ids[i], 'in the trace of its request');
      assert.equal(d.attributes.tracking_id, ids[i]);
      assert.equal((d.attributes.response as Record<string, unknown>).status, 200 + i);
      assert.match(String(d.spanId), /^[0-9a-f]{16}$/);
    }
    assert.deepEqual([...new Set(deferred.map((r) => r.severityNumber))], [17, 13, 9, 7, 6, 5, 1]);
    const stamps = out.lines().map((l) => l['@timestamp']);
    assert.deepEqual(stamps, Array(LEVELS.length).fill(new Date(CLOCK_MS).toISOString()));
  });

  it('stamps the line and its OTLP copy with one reading of the clock', async () => {
    exporter.reset();
    const out = captureLines();
    // A clock that moves on at every reading: two readings would never agree.
    let readings = 0;
    const logger = createLogger({
      service: 'svc',
      stream: out.stream,
      env: {},
      clock: () => CLOCK_MS + readings++,
      transports: [new OpenTelemetryTransportV3()],
    });
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.get('/t', (_req, res) => {
      res.send('ok');
    });
    await request(app).get('/t').expect(200);
    await request(app).get('/t').expect(200);
    await tick();
    await tick();
    const stamps = out.lines().map((l) => Date.parse(String(l['@timestamp'])));
    const records = exporter.getFinishedLogRecords().map(millis);
    assert.equal(stamps.length, 2);
    assert.deepEqual(records, stamps);
    assert.notEqual(stamps[0], stamps[1], 'the clock did move between the lines');
  });

  it('leaves a transport with its own severity options to its own log()', async () => {
    exporter.reset();
    const logger = createLogger({
      service: 'svc',
      stream: captureLines().stream,
      env: {},
      clock: () => CLOCK_MS,
      transports: [new OpenTelemetryTransportV3({ logSeverity: 13 })],
    });
    const app = createApp();
    app.use(requestLogger({ logger }));
    app.get('/s/:code', (req, res) => {
      res.status(Number(req.params.code)).send('body');
    });
    await request(app).get('/s/200');
    await request(app).get('/s/404');
    await tick();
    const records = exporter.getFinishedLogRecords();
    assert.deepEqual(
      records.map((r) => [r.body, r.severityText]),
      [['GET /s/404 - 404', 'warn']],
      'the info line is below its logSeverity',
    );
    assert.notEqual(millis(records[0]!), CLOCK_MS, 'stamped by the SDK, as the transport does');
  });

  it('redacts, bounds and keeps every OTLP copy as its JSON line does', async () => {
    exporter.reset();
    const { logger, out } = capturedLogger({
      maxEventBytes: 16_384,
      transports: [new OpenTelemetryTransportV3()],
    });
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    logger.info('login', {
      headers: { authorization: 'Bearer SECRET-TOKEN', cookie: 'sid=SECRET' },
      password: 'hunter2',
      api_key: 'SECRET-KEY',
      count: 10n,
      long: 'x'.repeat(100_000),
      circular,
      lazy: {
        get value(): string {
          throw new Error('getter failed');
        },
      },
      error: Object.assign(new Error('db down'), { code: 'ECONNREFUSED' }),
    });
    logger.info({ password: 'hunter2', note: 'object as the message' } as never);
    await tick();
    const records = exporter.getFinishedLogRecords();
    assert.equal(records.length, 2, 'no record lost to a throwing getter');
    const text = JSON.stringify(records.map((r) => [r.body, r.attributes]));
    assert.doesNotMatch(text, /SECRET|hunter2/);
    const a = records[0]!.attributes as Record<string, unknown>;
    assert.deepEqual(a.headers, { authorization: '[REDACTED]', cookie: '[REDACTED]' });
    assert.equal(a.password, '[REDACTED]');
    assert.equal(a.count, '10');
    assert.ok(String(a.long).length < 2_000, `${String(a.long).length} characters`);
    assert.deepEqual(a.circular, { name: 'loop', self: '[Circular]' });
    assert.deepEqual(a.lazy, { value: '[Throws: getter failed]' });
    // The transport turns an error attribute into the exception.* conventions.
    assert.equal(a['exception.message'], 'db down');
    assert.match(String(a['exception.stacktrace']), /^Error: db down\n\s+at /);
    // The JSON line is untouched by the copy's format.
    assert.doesNotMatch(out.raw().join('\n'), /SECRET|hunter2/);
    assert.equal((out.lines()[0]!.error as { message: string }).message, 'db down');
  });

  it('keeps the OTLP copy of a call whose extra argument cannot be read, and bounds an extra Error', async () => {
    exporter.reset();
    const { logger, out } = capturedLogger({ transports: [new OpenTelemetryTransportV3()] });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    logger.warn('revoked', { order: 1 }, proxy);
    const lazy = {
      get message(): string {
        throw new Error('getter failed');
      },
    };
    logger.warn('getter', { order: 2 }, lazy);
    logger.error('huge', { order: 3 }, new Error('m'.repeat(1_000_000)));
    await tick();
    assert.equal(out.lines().length, 3);
    const records = exporter.getFinishedLogRecords();
    assert.deepEqual(
      records.map((r) => [r.body, r.attributes.order]),
      [
        ['revoked', 1],
        ['getter', 2],
        ['huge', 3],
      ],
      'no record lost',
    );
    const message = String(records[2]!.attributes['exception.message']);
    assert.ok(message.length < 20_000, `${message.length} characters`);
    assert.match(message, /^m+…\[truncated \d+ chars\]$/);
  });

  it('bounds a long string passed after the meta, which the transport makes the exception message', async () => {
    exporter.reset();
    const { logger } = capturedLogger({ transports: [new OpenTelemetryTransportV3()] });
    logger.error('upstream failed', { order: 4 }, 'b'.repeat(1_000_000));
    logger.error('short', { order: 5 }, 'bad gateway');
    await tick();
    const records = exporter.getFinishedLogRecords();
    assert.deepEqual(
      records.map((r) => r.attributes.order),
      [4, 5],
    );
    const long = String(records[0]!.attributes['exception.message']);
    assert.ok(long.length < 20_000, `${long.length} characters`);
    assert.match(long, /^b+…\[truncated \d+ chars\]$/);
    assert.equal(records[1]!.attributes['exception.message'], 'bad gateway');
  });

  it('keeps the message, stack and cause of an Error in its OTLP copy', async () => {
    exporter.reset();
    const { logger } = capturedLogger({ transports: [new OpenTelemetryTransportV3()] });
    // The Error as the record: its message and stack are not enumerable.
    logger.error(Object.assign(new Error('db connection refused'), { code: 'ECONNREFUSED' }));
    const cause = Object.assign(new Error('root cause'), { code: 'ECONNRESET' });
    logger.error('failed', { error: new Error('outer', { cause }) });
    // The Error with a cause as the record: the same error.cause.* attributes.
    logger.error(new Error('outer record', { cause }));
    await tick();
    const [asRecord, withCause, recordWithCause] = exporter.getFinishedLogRecords();
    assert.equal(asRecord!.body, 'db connection refused');
    assert.equal(asRecord!.attributes['exception.message'], 'db connection refused');
    assert.match(
      String(asRecord!.attributes['exception.stacktrace']),
      /^Error: db connection refused/,
    );
    assert.equal(withCause!.attributes['exception.message'], 'outer');
    assert.equal(withCause!.attributes['error.cause.message'], 'root cause');
    assert.equal(withCause!.attributes['error.cause.code'], 'ECONNRESET');
    assert.equal(recordWithCause!.attributes['exception.message'], 'outer record');
    assert.equal(recordWithCause!.attributes['error.cause.message'], 'root cause');
    assert.equal(recordWithCause!.attributes['error.cause.code'], 'ECONNRESET');
    assert.match(
      String(recordWithCause!.attributes['error.cause.stacktrace']),
      /^Error: root cause/,
    );
    assert.equal(recordWithCause!.attributes.cause, undefined);
  });
});
