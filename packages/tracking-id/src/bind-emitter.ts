import { AsyncResource } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';

const ADD_METHODS = [
  'on',
  'addListener',
  'once',
  'prependListener',
  'prependOnceListener',
] as const;

type Listener = (...args: unknown[]) => void;

/**
 * Makes listeners added to `emitter` from now on run in the current async context.
 * Request and response events ('data', 'end', 'finish', 'close') are emitted from the socket's
 * context, not the request chain's, so without this a body parser's `next()` would drop the
 * request's store. The original listener stays reachable as `.listener`, which is what
 * `EventEmitter.removeListener` compares, so removal keeps working.
 */
export function bindEmitter(emitter: EventEmitter): void {
  const resource = new AsyncResource('ai-teams.tracking-id');
  for (const method of ADD_METHODS) {
    const original = emitter[method] as (
      event: string | symbol,
      listener: Listener,
    ) => EventEmitter;
    emitter[method] = function bound(
      this: EventEmitter,
      event: string | symbol,
      listener: Listener,
    ) {
      if (typeof listener !== 'function') return original.call(this, event, listener);
      const wrapped = resource.bind(listener) as Listener & { listener?: Listener };
      wrapped.listener = listener;
      return original.call(this, event, wrapped);
    };
  }
}
