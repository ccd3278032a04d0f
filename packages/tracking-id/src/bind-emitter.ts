import { AsyncResource } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';

type Listener = (...args: unknown[]) => void;
type Add = (this: EventEmitter, event: string | symbol, listener: Listener) => EventEmitter;
type Bound = Listener & { listener?: Listener };

/**
 * Makes listeners added to `emitter` from now on run in the current async context.
 * Request and response events ('data', 'end', 'finish', 'close') are emitted from the socket's
 * context, not the request chain's, so without this a body parser's `next()` would drop the
 * request's store.
 *
 * Each added function is the caller's listener bound to the context, with the caller's
 * listener as its `.listener`: what `EventEmitter.removeListener` compares, one level deep.
 * So a once-listener is made here (a bound function that removes itself), not by the
 * emitter's own `once`: that would wrap its once-wrapper again through the patched `on`, two
 * levels deep, and `removeListener(fn)` / `off(fn)` would no longer find it.
 */
export function bindEmitter(emitter: EventEmitter): void {
  const resource = new AsyncResource('ai-teams.tracking-id');
  const on = emitter.on as Add;
  const prepend = emitter.prependListener as Add;

  const always = (add: Add): Add =>
    function bound(event, listener) {
      if (typeof listener !== 'function') return add.call(this, event, listener);
      const wrapped: Bound = resource.bind(listener);
      wrapped.listener = listener;
      return add.call(this, event, wrapped);
    };
  const once = (add: Add): Add =>
    function bound(event, listener) {
      if (typeof listener !== 'function') return add.call(this, event, listener);
      const run = resource.bind(listener);
      let fired = false;
      const wrapped: Bound = function (this: EventEmitter, ...args: unknown[]) {
        this.removeListener(event, wrapped);
        if (fired) return;
        fired = true;
        return run.apply(this, args);
      };
      wrapped.listener = listener;
      return add.call(this, event, wrapped);
    };

  emitter.on = emitter.addListener = always(on);
  emitter.prependListener = always(prepend);
  emitter.once = once(on);
  emitter.prependOnceListener = once(prepend);
}
