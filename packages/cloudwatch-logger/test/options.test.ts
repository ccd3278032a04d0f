import assert from 'node:assert/strict';
import { captureLines } from '@ai-teams/test-utils';
import express from 'express';
import request from 'supertest';
import { runInNewContext } from 'node:vm';
import { cloudwatchFormat, createLogger, requestLogger } from '../src';

// Plain JavaScript (or a config file) can hand any value to any option: each wrong one must fail
// at creation with a TypeError naming it, not later on every line or request.
const wrong = (value: unknown) => value as never;

describe('options checked at creation', () => {
  it('names the option and the value for wrong types of createLogger() options', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['environment', 42, /`environment` must be a string, got 42/],
      ['level', 3, /`level` must be a string, got 3/],
      ['redact', 'authorization', /`redact` must be an array .*got "authorization"/],
      ['redact', () => true, /`redact` must be an array .*got a function/],
      ['stream', 'stdout', /`stream` must be a Writable stream, got "stdout"/],
      ['formats', {}, /`formats` must be an array, got an object/],
      ['transports', 'x', /`transports` must be an array, got "x"/],
      ['clock', 0, /`clock` must be a function, got 0/],
      ['source', 'yes', /`source` must be true or false, got "yes"/],
      ['sync', 1, /`sync` must be true or false, got 1/],
    ];
    for (const [name, value, message] of cases) {
      assert.throws(
        () => createLogger({ service: 's', env: {}, [name]: wrong(value) }),
        (err: Error) => err instanceof TypeError && message.test(err.message),
        name,
      );
    }
    assert.throws(
      () => cloudwatchFormat({ service: 's', environment: wrong(['prod']) }),
      /`environment` must be a string, got an array/,
    );
  });

  it('names the option and the value for wrong types of requestLogger() options', () => {
    const out = captureLines();
    const logger = createLogger({ service: 's', env: {}, stream: out.stream });
    const cases: Array<[string, unknown, RegExp]> = [
      ['logger', 'console', /`logger` must be a winston logger .*got "console"/],
      ['skip', '/health', /`skip` must be an array .*got "\/health"/],
      ['skip', [42], /`skip` entries must be path strings or RegExps, got 42/],
      ['levelFor', 'info', /`levelFor` must be a function, got "info"/],
      ['now', 5, /`now` must be a function, got 5/],
    ];
    for (const [name, value, message] of cases) {
      assert.throws(
        () => requestLogger({ logger, [name]: wrong(value) }),
        (err: Error) => err instanceof TypeError && message.test(err.message),
        name,
      );
    }
  });

  it('keeps the default of an option passed as undefined, as from a config object', async () => {
    const out = captureLines();
    const config: { maxFields?: number; maxEventBytes?: number; stackFrames?: number } = {};
    const logger = createLogger({
      service: 's',
      env: {},
      stream: out.stream,
      sync: true,
      maxFields: config.maxFields,
      maxEventBytes: config.maxEventBytes,
      stackFrames: config.stackFrames,
      stackTrace: 'trimmed',
    });
    const err = new Error('deep');
    err.stack = [
      'Error: deep',
      ...Array.from({ length: 20 }, (_, i) => `    at f${i} (/a.js:${i}:1)`),
    ].join('\n');
    logger.error('failed', { error: err });
    const trace = (out.lines()[0]!.exception as { stack_trace: string }).stack_trace;
    assert.equal(trace.split('\n').filter((l) => l.startsWith('    at ')).length, 10);

    const app = express();
    app.use(requestLogger({ logger, skip: undefined, now: undefined, levelFor: undefined }));
    app.get('/x', (_req, res) => res.send('ok'));
    await request(app).get('/x').expect(200);
    await request(app).get('/health').expect(404);
    assert.deepEqual(
      out
        .lines()
        .slice(1)
        .map((l) => l['@message']),
      ['GET /x - 200'],
    );
  });

  it('takes a RegExp made in another realm (a vm context) in skip and redact', async () => {
    const foreign = (source: string) => runInNewContext(`new RegExp(${JSON.stringify(source)})`);
    assert.equal(foreign('x') instanceof RegExp, false, 'another realm');
    const out = captureLines();
    const logger = createLogger({
      service: 's',
      env: {},
      stream: out.stream,
      sync: true,
      redact: [foreign('^internal_')],
    });
    const app = express();
    app.use(requestLogger({ logger, skip: [foreign('^/health')] }));
    app.get('/{*any}', (_req, res) => void res.send('ok'));
    await request(app).get('/health/live').expect(200);
    await request(app).get('/orders').expect(200);
    logger.info('kept', { internal_key: 'k', other: 'o' });
    const lines = out.lines();
    assert.deepEqual(
      lines.map((l) => l['@message']),
      ['GET /orders - 200', 'kept'],
    );
    assert.equal(lines[1]!.internal_key, '[REDACTED]');
    assert.equal(lines[1]!.other, 'o');
  });

  it('rejects options that are not an object, naming the factory', () => {
    for (const [make, call] of [
      [() => createLogger(wrong('api-gateway')), 'createLogger()'],
      [() => cloudwatchFormat(wrong('api-gateway')), 'cloudwatchFormat()'],
      [() => requestLogger(wrong('api-gateway')), 'requestLogger()'],
    ] as const) {
      assert.throws(
        make,
        (err: Error) =>
          err instanceof TypeError &&
          err.message ===
            `cloudwatch-logger: ${call} takes an options object, e.g. { service: 'api-gateway' }, got "api-gateway"`,
      );
    }
    assert.throws(
      () => createLogger(wrong(['svc'])),
      /createLogger\(\) takes an options object.*got an array/,
    );
  });
});
