import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { makeListenerRoom } from './listener-room';

const { addListener } = EventEmitter.prototype;

const WATCHED = Symbol.for('@ai-teams/tracking-id/queued-close');

/** `_closed` is Node's own flag for a response that emitted 'close' (22.x and 24.x alike). */
type Queued = ServerResponse & { _closed?: boolean; [WATCHED]?: true };
/** A connection's queued responses still open, watched by one 'close' listener per socket. */
type Connection = Socket & { [WATCHED]?: Set<Queued> };

/**
 * Makes sure a response queued behind another on a pipelined connection emits 'close' when
 * that connection closes. Node before 24.16 (every 22.x) never does (fixed by nodejs/node#62534):
 * such a response never got its access line nor its request_count, its server span never ended,
 * and `active_requests` stayed one too high for good. For a response that has no socket yet
 * (queued), this does then what Node 24.16 does itself: destroys it with ECONNRESET ("aborted")
 * and emits 'close', once. Where Node has done so already, it does nothing. Costs one property
 * read for any other response; the packages' middleware that wait for 'close' call it.
 */
export function closeWhenConnectionCloses(res: ServerResponse): void {
  const r = res as Queued;
  if (r.socket != null || r[WATCHED]) return;
  const socket = r.req?.socket as Connection | null | undefined;
  if (!socket) return;
  r[WATCHED] = true;
  // Destroyed already, its 'close' maybe still to come: after it, as below.
  if (socket.destroyed) return void setImmediate(closeQueued, r);
  let queued = socket[WATCHED];
  if (!queued) {
    const open = (queued = socket[WATCHED] = new Set());
    makeListenerRoom(socket); // one listener per connection, whatever it queues
    socket.once('close', () => {
      // After Node's own handling of the close, and its 'close' of the response on >= 24.16.
      setImmediate(() => open.forEach(closeQueued));
    });
  }
  queued.add(r);
  // Not kept once it closed (its turn came, or Node closed it): a long connection keeps few.
  makeListenerRoom(r);
  addListener.call(r, 'close', () => queued.delete(r));
  // Destroyed while queued (by the app, or errorHandler() cutting it): Node 24.16 and later close
  // it at once and no longer cut the connection when its turn comes (22.x did), which then hangs
  // with the requests behind it. Cut before its bytes go out.
  addListener.call(r, 'socket', (s: Socket) => {
    if (r.destroyed) s.destroy();
  });
}

function closeQueued(r: Queued): void {
  if (r._closed || r.socket != null) return;
  r.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
  process.nextTick(() => {
    if (r._closed) return;
    r._closed = true;
    r.emit('close');
  });
}
