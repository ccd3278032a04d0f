import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { warningsOf } from '@ai-teams/test-utils';
import { makeListenerRoom } from '../src';

/** The MaxListenersExceededWarnings emitted while `fn` runs. */
const leakWarnings = async (fn: () => void) =>
  (await warningsOf(fn))
    .filter((w) => w.name === 'MaxListenersExceededWarning')
    .map((w) => w.message);

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
