import type { EventEmitter } from 'node:events';

/**
 * Makes room for one listener of ours on `emitter` (a response, for its 'close'): raises its
 * max-listeners limit by one, so Node's leak warning keeps the margin it had for the app's own
 * listeners. A response piped with `stream.pipeline()` in a traced app already has 9 'close'
 * listeners from Node, Express, the pipeline and the instrumentation; each middleware of these packages that
 * waits for the end of the response adds one, and with two of them Node printed a
 * MaxListenersExceededWarning for every such request. An unlimited emitter (0) stays unlimited.
 */
export function makeListenerRoom(emitter: EventEmitter): void {
  const max = emitter.getMaxListeners();
  if (max !== 0 && max !== Infinity) emitter.setMaxListeners(max + 1);
}
