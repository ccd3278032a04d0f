import assert from 'node:assert/strict';
import { logs } from '@opentelemetry/api-logs';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { OpenTelemetryTransportV3 } from '@opentelemetry/winston-transport';
import { capturedLogger } from './helpers';

type Attributes = Record<string, unknown>;

/** `value` as the dotted keys of its leaves under `prefix`, as a query names them. */
function flat(prefix: string, value: unknown, out: Attributes = {}): Attributes {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) out[prefix] = value;
  else for (const [k, v] of Object.entries(value)) flat(`${prefix}.${k}`, v, out);
  return out;
}

/** The record's `error.cause…` attributes, the first cause's stack left out. */
function causeAttributes(attributes: Attributes): Attributes {
  return Object.fromEntries(
    Object.entries(attributes).filter(
      ([k]) => (k === 'error.cause' || k.startsWith('error.cause.')) && !k.endsWith('.stacktrace'),
    ),
  );
}

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('the OTLP copy of an error cause', () => {
  let exporter: InMemoryLogRecordExporter;
  let provider: LoggerProvider;
  before(() => {
    exporter = new InMemoryLogRecordExporter();
    provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    logs.setGlobalLoggerProvider(provider);
  });
  after(async () => {
    logs.disable();
    await provider.shutdown();
  });

  function logged(log: (logger: ReturnType<typeof capturedLogger>['logger']) => void) {
    exporter.reset();
    const { logger, out } = capturedLogger({ transports: [new OpenTelemetryTransportV3()] });
    log(logger);
    const [record] = exporter.getFinishedLogRecords();
    const [line] = out.lines();
    return {
      attributes: record!.attributes as Attributes,
      lineCause: (line!.error as { cause?: unknown }).cause,
    };
  }

  it('carries the cause its line shows, as error.cause.* attributes', () => {
    const looping = new Error('a');
    looping.cause = new Error('b', { cause: looping });
    const wide: Record<string, number> = {};
    for (let i = 0; i < 40; i++) wide[`k${i}`] = i;
    const cases: [string, Error, Attributes][] = [
      [
        'an Error with a code',
        new Error('outer', { cause: withCode('root', 'ECONNRESET') }),
        {
          'error.cause.type': 'Error',
          'error.cause.code': 'ECONNRESET',
          'error.cause.message': 'root',
        },
      ],
      [
        'a chain, three deep',
        new Error('L0', {
          cause: new Error('L1', {
            cause: new Error('L2', {
              cause: new TypeError('L3', { cause: withCode('L4', 'ECONNREFUSED') }),
            }),
          }),
        }),
        {
          'error.cause.type': 'Error',
          'error.cause.message': 'L1',
          'error.cause.cause.type': 'Error',
          'error.cause.cause.message': 'L2',
          'error.cause.cause.cause.type': 'TypeError',
          'error.cause.cause.cause.message': 'L3',
        },
      ],
      [
        'a plain object, redacted',
        new Error('x', {
          cause: {
            status: 502,
            url: 'https://up/x',
            authorization: 'Bearer SECRET',
            res: { ok: false },
          },
        }),
        {
          'error.cause.status': 502,
          'error.cause.url': 'https://up/x',
          'error.cause.authorization': '[REDACTED]',
          'error.cause.res.ok': false,
        },
      ],
      [
        'a string',
        new Error('x', { cause: 'plain text' }),
        { 'error.cause.message': 'plain text' },
      ],
      ['a loop, ended', looping, { 'error.cause.type': 'Error', 'error.cause.message': 'b' }],
    ];
    for (const [name, error, expected] of cases) {
      const { attributes, lineCause } = logged((logger) => logger.error('failed', { error }));
      assert.deepEqual(causeAttributes(attributes), expected, name);
      assert.deepEqual(
        causeAttributes(attributes),
        flat('error.cause', lineCause),
        `${name}: as the line`,
      );
      assert.equal(attributes.cause, undefined, name);
      assert.doesNotMatch(JSON.stringify(attributes), /\[object Object\]|SECRET/, name);
    }
    // A plain object keeps 16 of its values, as the line does.
    const { attributes } = logged((logger) =>
      logger.error('wide', { error: new Error('x', { cause: wide }) }),
    );
    assert.equal(Object.keys(causeAttributes(attributes)).length, 16);
  });

  it('carries it for meta err, an extra argument and an Error as the record alike', () => {
    const make = () =>
      new Error('outer', { cause: new Error('mid', { cause: { status: 503, token: 't0ken' } }) });
    const expected = {
      'error.cause.type': 'Error',
      'error.cause.message': 'mid',
      'error.cause.cause.status': 503,
      'error.cause.cause.token': '[REDACTED]',
    };
    const calls: [string, (logger: ReturnType<typeof capturedLogger>['logger']) => void][] = [
      ['meta error', (logger) => logger.error('failed', { error: make() })],
      ['meta err', (logger) => logger.error('failed', { err: make() })],
      ['extra argument', (logger) => logger.error('failed', { order: 1 }, make())],
      ['the record', (logger) => logger.error(make())],
    ];
    for (const [name, call] of calls) {
      const { attributes, lineCause } = logged(call);
      assert.deepEqual(causeAttributes(attributes), expected, name);
      assert.deepEqual(flat('error.cause', lineCause), expected, `${name}: the line`);
      assert.equal(attributes['exception.message'], 'outer', name);
      assert.match(String(attributes['error.cause.stacktrace']), /^Error: mid\n\s+at /, name);
      assert.deepEqual(
        Object.keys(attributes).filter((k) => /^(err|cause)(\.|$)/.test(k)),
        [],
        `${name}: no err.cause.* nor cause map`,
      );
    }
  });

  it('names the exception by its type, not its code, with the code as error.code', () => {
    class StepFailedError extends Error {
      override name = 'StepFailedError';
      readonly code = 'step_failed';
    }
    const calls: [string, (logger: ReturnType<typeof capturedLogger>['logger']) => void][] = [
      ['meta error', (logger) => logger.error('failed', { error: new StepFailedError('x') })],
      ['meta err', (logger) => logger.error('failed', { err: new StepFailedError('x') })],
      [
        'extra argument',
        (logger) => logger.error('failed', { order: 1 }, new StepFailedError('x')),
      ],
      ['the record', (logger) => logger.error(new StepFailedError('x'))],
      [
        'a plain object',
        (logger) =>
          logger.error('failed', {
            error: { name: 'StepFailedError', code: 'step_failed', message: 'x' },
          }),
      ],
    ];
    for (const [name, call] of calls) {
      const { attributes } = logged(call);
      // The span's exception event (error-span-events) and the line's error.type say the same.
      assert.equal(attributes['exception.type'], 'StepFailedError', name);
      assert.equal(attributes['error.code'], 'step_failed', name);
      assert.equal(attributes['exception.message'], 'x', name);
    }
    // A code without a name stays the SDK's exception.type; one set by the caller is kept.
    assert.equal(
      logged((logger) => logger.error('failed', { error: { code: 'E1', message: 'x' } }))
        .attributes['exception.type'],
      'E1',
    );
    const own = logged((logger) =>
      logger.error('failed', {
        error: new StepFailedError('x'),
        'exception.type': 'app.Failure',
        'error.code': 'own',
      }),
    ).attributes;
    assert.equal(own['exception.type'], 'app.Failure');
    assert.equal(own['error.code'], 'own');
    // Without a code the SDK names it already: nothing added.
    const plain = logged((logger) =>
      logger.error('failed', { error: new RangeError('x') }),
    ).attributes;
    assert.equal(plain['exception.type'], 'RangeError');
    assert.equal('error.code' in plain, false);
  });

  it('gives exception.type and error.code as the line gives error.type and error.code', () => {
    const coded = (code: unknown, extra: object = {}) =>
      Object.assign(new Error('x'), { name: 'StepError', code }, extra);
    const unreadableName = Object.defineProperty(coded('step_failed'), 'name', {
      get() {
        throw new Error('name getter');
      },
    });
    // Without a code the SDK takes the copy's name, which an unreadable one left out.
    const unreadableNoCode = Object.defineProperty(new Error('x'), 'name', {
      get() {
        throw new Error('name getter');
      },
    });
    const cases: [string, Error, unknown, unknown][] = [
      // what, the error, exception.type, error.code
      ['code 0', coded(0), 'StepError', 0],
      ['a name getter that throws', unreadableName, 'Error', 'step_failed'],
      ['a name getter that throws, no code', unreadableNoCode, 'Error', undefined],
      ['a name that is a number', coded('E1', { name: 42 }), '42', 'E1'],
      ['a name that is a number, no code', coded(undefined, { name: 42 }), '42', undefined],
      ['a bigint code', coded(5n), 'StepError', undefined],
      ['a status and no code', coded(undefined, { status: 503 }), 'StepError', 503],
    ];
    for (const [what, error, type, code] of cases) {
      exporter.reset();
      const { logger, out } = capturedLogger({ transports: [new OpenTelemetryTransportV3()] });
      logger.error('failed', { error });
      const attributes = exporter.getFinishedLogRecords()[0]!.attributes as Attributes;
      const line = out.lines()[0]!.error as { type: unknown; code?: unknown };
      assert.deepEqual([line.type, line.code], [type, code], `the line: ${what}`);
      assert.deepEqual(
        [attributes['exception.type'], attributes['error.code']],
        [type, code],
        what,
      );
    }
  });

  it('carries the cause of a plain error object of the meta as its line shows it', () => {
    const { attributes, lineCause } = logged((logger) =>
      logger.error('failed', {
        error: { message: 'upstream failed', cause: { status: 502, api_key: 'k-1' } },
      }),
    );
    const expected = { 'error.cause.status': 502, 'error.cause.api_key': '[REDACTED]' };
    assert.deepEqual(causeAttributes(attributes), expected);
    assert.deepEqual(flat('error.cause', lineCause), expected);
    assert.equal(attributes['exception.message'], 'upstream failed');
  });

  it('cuts a long message of a cause, a deeper one too, as every string of the copy', () => {
    const deep = new Error('m'.repeat(1_000_000));
    const { attributes } = logged((logger) =>
      logger.error('failed', {
        error: new Error('x', { cause: new Error('mid', { cause: deep }) }),
      }),
    );
    const message = String(attributes['error.cause.cause.message']);
    assert.ok(message.length < 20_000, `${message.length} characters`);
    assert.match(message, /^m+…\[truncated \d+ chars\]$/);
  });
});
