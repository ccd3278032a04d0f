import type { Express } from 'express';

import type { AddressInfo } from 'node:net';
import http, { type Server } from 'node:http';

export interface ExpressVersion {
  name: string;
  major: 4 | 5;
  /** Loaded lazily so the OpenTelemetry instrumentation, when enabled, can patch it. */
  load(): typeof import('express');
}

/** Every suite runs on both supported Express majors (peer range `^4.21 || ^5`). */
export const expressVersions: ExpressVersion[] = [
  { name: 'express@5', major: 5, load: () => require('express') },
  { name: 'express@4', major: 4, load: () => require('@ai-teams/express4') },
];

/** Runs `fn` once per supported Express major inside its own describe block. */
export function describeExpress(
  title: string,
  fn: (createApp: () => Express, version: ExpressVersion) => void,
): void {
  for (const version of expressVersions) {
    describe(`${title} (${version.name})`, () => fn(() => version.load()(), version));
  }
}

export interface Listening {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Listens on an ephemeral loopback port. */
export function listen(app: Express): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1');
    server.once('error', reject);
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        server,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

interface LayerLike {
  name: string;
  handle: { __wrapped?: boolean; stack?: LayerLike[] };
}

/**
 * For each layer named `name` in the app (mounted routers included): whether its handle is
 * still wrapped by an instrumentation (shimmer's `__wrapped`).
 */
export function wrappedLayers(app: Express, name: string): boolean[] {
  const a = app as unknown as { router?: { stack: LayerLike[] }; _router?: { stack: LayerLike[] } };
  const found: boolean[] = [];
  const walk = (stack: LayerLike[] | undefined) => {
    for (const layer of stack ?? []) {
      if (layer.name === name) found.push(layer.handle.__wrapped === true);
      walk(layer.handle.stack);
    }
  };
  // Express 4's app.router is a getter that throws: its router is app._router.
  walk(a._router?.stack ?? a.router?.stack);
  return found;
}

/**
 * A GET with the request target exactly as given (e.g. the absolute form
 * `http://127.0.0.1/health`, which servers must accept), to the server at `baseUrl`; resolves
 * with the status once the whole response has arrived.
 */
export function getTarget(baseUrl: string, target: string): Promise<number> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.get({ host: hostname, port, path: target, agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode!));
    });
    req.once('error', reject);
  });
}
