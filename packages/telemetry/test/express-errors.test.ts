import assert from 'node:assert/strict';
import path from 'node:path';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { safeErrorAndMessage } from '../src/express-errors';

type Convert = (value: unknown) => [Error | string, string];

// The instrumentation's own conversion, read from the module the set-up patches (not patched in
// this process: nothing here calls setupTelemetry()).
const utilsPath = path.join(
  path.dirname(require.resolve('@opentelemetry/instrumentation-express')),
  'utils.cjs',
);
const original = (require(utilsPath) as { asErrorAndMessage: Convert }).asErrorAndMessage;

describe('safeErrorAndMessage()', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('test');
  after(() => provider.shutdown());

  /** What the instrumentation's wrapper does with a layer's error, on a real span. */
  async function recorded(convert: Convert, value: unknown) {
    exporter.reset();
    const span = tracer.startSpan('layer');
    const [error, message] = convert(value);
    span.recordException(error);
    span.setStatus({ code: 2, message });
    span.end();
    await provider.forceFlush();
    const [s] = exporter.getFinishedSpans();
    return { events: s!.events.map((e) => e.attributes), status: s!.status };
  }

  it('records what the SDK can read exactly as the instrumentation does', async () => {
    const values: [string, unknown][] = [
      ['an Error', new Error('boom')],
      ['a TypeError', new TypeError('bad')],
      ['a code', Object.assign(new Error('reset'), { code: 'ECONNRESET' })],
      ['a numeric code', Object.assign(new Error('x'), { code: 42 })],
      // An upstream's JSON error body merged into an Error: String() throws on it, the SDK does not.
      [
        'a code and a "toString" key',
        Object.assign(new Error('upstream failed'), { code: 'UPSTREAM', toString: 'x' }),
      ],
      ['a string', 'a string'],
      ['a number', 7],
    ];
    for (const [what, value] of values) {
      assert.deepEqual(
        await recorded(safeErrorAndMessage, value),
        await recorded(original, value),
        what,
      );
    }
    const [event] = (await recorded(safeErrorAndMessage, values[4]![1])).events;
    assert.equal(event!['exception.type'], 'UPSTREAM');
  });

  it('never hands the SDK an Error it throws on, whatever hides the throwing getter', async () => {
    // A toString of its own, so String() works, and a name getter that throws once the stack
    // has been formatted: the SDK reads the name.
    class Masked extends Error {
      override toString() {
        return 'masked';
      }
    }
    const masked = Object.assign(new Masked(''), { status: 503 });
    void masked.stack;
    Object.defineProperty(masked, 'name', {
      get() {
        throw new Error('name getter');
      },
    });
    await assert.rejects(recorded(original, masked), /name getter/, 'the premise');
    const { events, status } = await recorded(safeErrorAndMessage, masked);
    assert.equal(events.length, 1);
    assert.equal(events[0]!['exception.type'], 'Error');
    assert.match(String(events[0]!['exception.stacktrace']), /^Error\n\s+at /);
    assert.equal(status.code, 2);
  });
});
