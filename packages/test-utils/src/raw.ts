import http, { type RequestListener, type ServerOptions } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { Readable } from 'node:stream';

export interface RawExchangeOptions {
  /** The bytes sent on the connection, pipelined requests included. */
  send: string;
  /** How many responses close before the exchange is over. */
  responses: number;
  /** Acts on the client's socket once `send` is written (ends it, resets it, …). */
  client?: (socket: Socket) => void;
  /** Options of the plain http server (`requestTimeout`, `connectionsCheckingInterval`, …). */
  server?: ServerOptions;
}

/**
 * One raw HTTP/1.1 connection to `app` on loopback, for what a client library will not send:
 * pipelined requests, stalled or malformed bodies, a reset. Resolves with the text the client
 * received, once its connection has closed and `responses` responses have emitted 'close'
 * (their own 'close' listeners have run by then: this one is added first).
 */
export async function rawExchange(app: RequestListener, o: RawExchangeOptions): Promise<string> {
  let closes = 0;
  let allClosed!: () => void;
  const closed = new Promise<void>((resolve) => (allClosed = resolve));
  const server = http.createServer(o.server ?? {}, (req, res) => {
    res.once('close', () => {
      if (++closes === o.responses) allClosed();
    });
    app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', () => {});
    const gone = new Promise((resolve) => socket.once('close', resolve));
    socket.write(o.send);
    o.client?.(socket);
    await Promise.all([closed, gone]);
    return received;
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** A source that gives two chunks (`rows;`), then fails: a stream that breaks mid-response. */
export const failingSource = (): Readable => {
  let sent = 0;
  return new Readable({
    read() {
      if (sent++ < 2) this.push('rows;');
      else setImmediate(() => this.destroy(new Error('upstream failed mid-stream')));
    },
  });
};

/** A pipelinable GET of `path`. */
export const rawGet = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`;
