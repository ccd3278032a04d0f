import type { Express } from 'express';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getTelemetry } from '@ai-teams/telemetry';
import { markServerCut } from '@ai-teams/tracking-id';

/** How long requests in flight at SIGTERM/SIGINT may run on before their connections are cut. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/** The longest delay a Node timer takes (a longer one fires after 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function graceMs(): number {
  const raw = process.env.SHUTDOWN_GRACE_MS;
  const ms = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, MAX_TIMER_MS) : DEFAULT_SHUTDOWN_GRACE_MS;
}

/** PORT, else the default when unset or empty; anything but a port number stops the start. */
function portFromEnv(defaultPort: number, name: string): number {
  const raw = process.env.PORT?.trim();
  if (raw === undefined || raw === '') return defaultPort;
  if (/^\d{1,5}$/.test(raw) && Number(raw) <= 65535) return Number(raw);
  process.stderr.write(
    `${name}: PORT must be a port number (0-65535), got "${process.env.PORT}"\n`,
  );
  process.exit(1);
}

/**
 * Listens on PORT (or the default), named in its messages as `createService()` named the app
 * (`app.locals.serviceName`), else `defaultName`. On SIGTERM/SIGINT, or the IPC message
 * 'shutdown': stops taking connections, lets the requests in flight finish for up to
 * SHUTDOWN_GRACE_MS (10 s) and then cuts theirs, waits
 * until every response has closed (so each one's access line, metrics and span are made), then
 * flushes telemetry and exits: 0, or 1 when it came during a crash's flushes (handleExceptions).
 */
export function serve(app: Express, defaultPort: number, defaultName: string): Server {
  const named: unknown = app.locals.serviceName;
  const name = typeof named === 'string' && named !== '' ? named : defaultName;
  const port = portFromEnv(defaultPort, name);
  const host = process.env.HOST ?? '127.0.0.1';
  const server = app.listen(port, host, (err?: Error) => {
    // Express 5 hands a listen error (EADDRINUSE, EACCES) to this callback.
    if (err) {
      process.stderr.write(`${name} could not listen on ${host}:${port}: ${err.message}\n`);
      process.exit(1);
    }
    const bound = (server.address() as AddressInfo).port; // PORT=0: the one the system chose
    process.stderr.write(`${name} listening on http://${host}:${bound}\n`);
    process.send?.({ ready: name, port: bound });
  });

  // Responses not closed yet. A response cut at shutdown emits 'close' only after the server's
  // own 'close': exiting then would lose its line, its 499 and its span.
  const open = new Set<ServerResponse>();
  // The newest response of each connection: pipelined requests queue theirs behind it.
  const newest = new Map<Socket, ServerResponse>();
  const closing = new WeakSet<ServerResponse>();
  let drained: (() => void) | undefined;
  let stopping = false;
  // Once stopping, a keep-alive connection is closed after its last response instead of
  // waiting (idle) for the grace period or the keep-alive timeout to end: told so in that
  // response when its headers are still to go, else closed once it has gone out. Only the
  // last: Node ends the connection after a `Connection: close` response, and the responses
  // pipelined behind it, answered or not, were never written (logged 499).
  const lastOnConnection = (res: ServerResponse) => {
    if (res.headersSent) return;
    res.setHeader('Connection', 'close');
    closing.add(res);
  };
  // Ahead of the app's own listener: a request arriving while stopping is marked before the
  // app answers it, and the one it queues behind is no longer the last.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const before = newest.get(socket);
    newest.set(socket, res);
    open.add(res);
    if (stopping) {
      if (before && closing.has(before) && !before.headersSent) {
        before.removeHeader('Connection');
        closing.delete(before);
      }
      lastOnConnection(res);
    }
    res.once('close', () => {
      open.delete(res);
      if (newest.get(socket) === res) {
        newest.delete(socket);
        // Its last response has gone out: once stopping, the connection is closed after its
        // writes, not left for the keep-alive timeout.
        if (stopping) socket.destroySoon();
      }
      // The response's other 'close' listeners (the access line) run after this one.
      if (open.size === 0 && drained) setImmediate(drained);
    });
  });
  // Node's closeIdleConnections(), which server.close() calls itself (Node >= 19), destroys a
  // connection whose response has ended even while that response is still being written: a
  // slow client lost most of an 8 MiB answer. This server ends an idle connection after its
  // writes instead: one with no response open is idle.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.closeIdleConnections = () => {
    for (const socket of sockets) if (!newest.has(socket)) socket.destroySoon();
  };
  const responsesClosed = () =>
    new Promise<void>((resolve) => {
      if (open.size === 0) setImmediate(resolve);
      else drained = resolve;
    });

  const stop = () => {
    if (stopping) return;
    stopping = true;
    newest.forEach(lastOnConnection);
    const cut = setTimeout(() => {
      // The server cuts these, not their clients: 500 in their access lines, request_count
      // (counted as errors) and spans (ERROR), where a bare closeAllConnections() reads as the
      // client's 499 and a span as the 200 never sent.
      for (const res of open) if (!res.writableEnded) markServerCut(res as never);
      server.closeAllConnections();
    }, graceMs());
    server.close(() => {
      clearTimeout(cut);
      void responsesClosed()
        .then(() => getTelemetry()?.shutdown())
        // The exit code set so far: 1 when an uncaught exception is being flushed (the
        // crash handler of handleExceptions sets it), which a SIGTERM then must not turn into 0.
        .finally(() => process.exit());
    });
  };
  // Kept for every signal: a second SIGTERM during the grace must not end the process
  // unflushed (Node's default action once no listener is left).
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Windows never delivers SIGTERM, and a kill() there ends the process at once, unflushed: a
  // parent process (the demo, pm2 with shutdown_with_message) stops it with this message instead.
  process.on('message', (message) => {
    if (message === 'shutdown') stop();
  });
  return server;
}
