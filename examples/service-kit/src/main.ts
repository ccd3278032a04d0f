import type { Express } from 'express';
import type { Server } from 'node:http';
import { getTelemetry } from '@ai-teams/telemetry';

/** Listens on PORT (or the default); on SIGTERM/SIGINT closes, flushes telemetry, exits. */
export function serve(app: Express, defaultPort: number, name: string): Server {
  const port = Number(process.env.PORT ?? defaultPort);
  const host = process.env.HOST ?? '127.0.0.1';
  const server = app.listen(port, host, (err?: Error) => {
    // Express 5 hands a listen error (EADDRINUSE, EACCES) to this callback.
    if (err) {
      process.stderr.write(`${name} could not listen on ${host}:${port}: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`${name} listening on http://${host}:${port}\n`);
    process.send?.({ ready: name, port });
  });
  const stop = () => {
    server.closeAllConnections();
    server.close(() => {
      void (getTelemetry()?.shutdown() ?? Promise.resolve()).finally(() => process.exit(0));
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return server;
}
