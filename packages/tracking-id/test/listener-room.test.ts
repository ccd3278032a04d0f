import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { makeListenerRoom } from '../src';

/** The MaxListenersExceededWarnings emitted while `fn` runs (Node emits them on a tick). */
async function leakWarnings(fn: () => void): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (w: Error) => {
    if (w.name === 'MaxListenersExceededWarning') seen.push(w.message);
  };
  process.on('warning', onWarning);
  try {
    fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

const noop = () => undefined;

describe('makeListenerRoom()', () => {
  it('lets one more listener in without the leak warning', async () => {
    const emitter = new EventEmitter();
    for (let i = 0; i < 10; i++) emitter.on('close', noop); // the default limit, reached
    assert.deepEqual(
      await leakWarnings(() => {
        makeListenerRoom(emitter);
        emitter.on('close', noop);
      }),
      [],
    );
    // Raised by one: the app's own next listener would still be reported.
    assert.equal(emitter.getMaxListeners(), 11);
  });

  it('leaves an unlimited emitter unlimited', () => {
    const emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    makeListenerRoom(emitter);
    assert.equal(emitter.getMaxListeners(), 0);
  });
});
