import { AsyncResource } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';

type Listener = (...args: unknown[]) => void;
type Add = (this: EventEmitter, event: string | symbol, listener: Listener) => EventEmitter;

/** Marks the once-wrappers made below, so the bound `on` passes them on as they are. */
const ONCE = Symbol('ai-teams.tracking-id.once');
type Bound = Listener & { listener?: Listener; [ONCE]?: true };

/**
 * Makes listeners added to `emitter` from now on run in the current async context.
 * Request and response events ('data', 'end', 'finish', 'close') are emitted from the socket's
 * context, not the request chain's, so without this a body parser's `next()` would drop the
 * request's store.
 *
 * Each added function is the caller's listener bound to the context, with the caller's
 * listener as its `.listener`: what `EventEmitter.removeListener` compares, one level deep.
 * So a once-listener is made here (a bound function that removes itself) and added through
 * the emitter's `on`/`prependListener` as they are at that moment, as Node's own `once` does
 * (middleware such as compression replaces `res.on` after this ran), without being wrapped
 * again there: wrapped twice, `removeListener(fn)` / `off(fn)` would no longer find it.
 */
export function bindEmitter(emitter: EventEmitter): void {
  const resource = new AsyncResource('ai-teams.tracking-id');
  const on = emitter.on as Add;
  const prepend = emitter.prependListener as Add;
  const nodeOnce = emitter.once as Add;
  const nodePrependOnce = emitter.prependOnceListener as Add;

  const always = (add: Add): Add =>
    function bound(event, listener) {
      if (typeof listener !== 'function' || (listener as Bound)[ONCE])
        return add.call(this, event, listener);
      const wrapped: Bound = resource.bind(listener);
      wrapped.listener = listener;
      return add.call(this, event, wrapped);
    };
  const once = (method: 'on' | 'prependListener', invalid: Add): Add =>
    function bound(event, listener) {
      // Node's own once() throws the usual ERR_INVALID_ARG_TYPE.
      if (typeof listener !== 'function') return invalid.call(this, event, listener);
      // These functions are this emitter's own (set on the instance below).
      const target = emitter;
      const run = resource.bind(listener);
      let fired = false;
      const wrapped: Bound = function (this: unknown, ...args: unknown[]) {
        // `this` is undefined when called from rawListeners() by hand.
        target.removeListener(event, wrapped);
        if (fired) return;
        fired = true;
        return run.apply(this ?? target, args);
      };
      wrapped.listener = listener;
      wrapped[ONCE] = true;
      return (target[method] as Add).call(target, event, wrapped);
    };

  emitter.on = emitter.addListener = always(on);
  emitter.prependListener = always(prepend);
  emitter.once = once('on', nodeOnce);
  emitter.prependOnceListener = once('prependListener', nodePrependOnce);
}
