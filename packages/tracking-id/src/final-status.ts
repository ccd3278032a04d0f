import type { Response } from 'express';

/** A response its client went away from before it finished: nginx's "client closed request". */
export const CLIENT_CLOSED = 499;
/** A response the server cut: the app failed after the headers had gone out. */
export const SERVER_CUT = 500;

const CUT = Symbol.for('@ai-teams/tracking-id/server-cut');
type Marked = { [CUT]?: true };

/** What an unfinished response is read through: Node's ServerResponse, as Express has it. */
interface Unfinished extends Marked {
  statusCode: number;
  errored?: unknown;
  /** Whether the headers went out to the connection (Node's own field). */
  _headerSent?: boolean;
  /** The header block as written (Node's own field). */
  _header?: string | null;
  headersSent?: boolean;
  getHeader?(name: string): unknown;
  socket?: Connection | null;
  req?: { socket?: Connection | null };
}
interface Connection {
  destroyed?: boolean;
  errored?: unknown;
  /** The response in flight on the connection (Node's own field, read by its server too). */
  _httpMessage?: Marked | null;
}

/**
 * The statuses Node's HTTP server answers the errors it destroys a connection with
 * (`socketOnError()` of lib/_http_server.js, read in Node 24.21): a parser error is a 400 but
 * for these two, and a request (or its headers) not received within `requestTimeout`
 * (`headersTimeout`) a 408.
 */
const NODE_ANSWER = new Map([
  ['HPE_HEADER_OVERFLOW', 431],
  ['HPE_CHUNK_EXTENSIONS_OVERFLOW', 413],
  ['ERR_HTTP_REQUEST_TIMEOUT', 408],
]);

/**
 * Errors of a connection whose peer went away or broke it: the client's doing, not the app's.
 * HPE_INVALID_EOF_STATE is the parser's, for a client that closed in the middle of a request
 * (its body): Node "answers" it with a 400 the client is no longer there to read. TLS errors
 * (ERR_SSL_*) are the peer's too.
 */
const PEER_GONE = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EPROTO',
  'HPE_INVALID_EOF_STATE',
]);

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown }).code;
}

/**
 * Marks `res` as cut by the server, before its connection is closed: `finalStatus()` then reads
 * 500, not the 499 of a client that left. For a response failed by the app after its headers had
 * gone out, when an error handler can no longer answer and the connection is cut
 * (`errorHandler()` of @ai-teams/error-span-events calls it; an error handler of your own can
 * too), or one a shutdown cuts. With its headers not sent yet, the response's `statusCode`
 * becomes 500 as well, so what reads it when the response closes (the http instrumentation, for
 * the server span's status) records the same failure; a status already sent stays as it was.
 */
export function markServerCut(res: Response): void {
  (res as Response & Marked)[CUT] = true;
  if (!res.headersSent) res.statusCode = SERVER_CUT;
}

/**
 * The status a request ends with, one rule for access lines and metrics, read when the response
 * closes. A response that finished: the status sent. One that did not:
 * - 500 (`SERVER_CUT`) when the server cut it: marked with `markServerCut()`, destroyed with an
 *   error by the app (`res.destroy(err)`, a `stream.pipeline()` whose source failed), or its
 *   connection destroyed with an error that is not the peer's, or closed because the response in
 *   flight before it on the connection (HTTP pipelining) was marked;
 * - the status Node's server answers with when it closed the connection itself: 408 for
 *   `requestTimeout`/`headersTimeout`, 400 for a request it could not parse (431 for headers too
 *   large, 413 for chunk extensions too large), a later pipelined request's included. The client
 *   got that status unless the response's own headers had been written first;
 * - else 499 (`CLIENT_CLOSED`): the client went away (a clean close, ECONNRESET, EPIPE); but
 *   an event stream (`text/event-stream`) whose headers went out reads the status it sent: it
 *   has no end of its own, and its client closing it is how it ends.
 *
 * A connection the server destroys without an error reads 499 too: `server.timeout`, a
 * `clientError` listener that ends the socket, `server.closeAllConnections()`, a bare
 * `res.destroy()`. Only an unfinished response pays for more than one property read.
 */
export function finalStatus(res: Pick<Response, 'writableFinished' | 'statusCode'>): number {
  if (res.writableFinished) return res.statusCode;
  const status = unfinishedStatus(res as Unfinished);
  return status === CLIENT_CLOSED && isOpenEventStream(res as Unfinished) ? res.statusCode : status;
}

/**
 * Whether a response's status line reached its connection: headers made and written (Node's
 * `_headerSent`; `headersSent` is true as soon as `writeHead()` made them), on a socket of its own
 * (a response queued behind another on a pipelined connection has none yet).
 */
export function statusSent(res: object): boolean {
  const r = res as Unfinished;
  return r.headersSent === true && r.socket != null && r._headerSent !== false;
}

const EVENT_STREAM = /^\s*text\/event-stream\s*(;|$)/i;
/** The same, as a line of the header block Node wrote (`Name: value\r\n`). */
const EVENT_STREAM_LINE = /\r\ncontent-type:[ \t]*text\/event-stream[ \t]*(;|\r\n)/i;

/**
 * A Server-Sent Events response whose headers went out: it runs until the client closes it
 * (an `EventSource` closed, a page left), so that close is its normal end, not an abandoned
 * response. Read only for a response the client left.
 */
function isOpenEventStream(res: Unfinished): boolean {
  try {
    if (!statusSent(res)) return false;
    // What went out: `writeHead(200, { 'Content-Type': 'text/event-stream' })` on a response no
    // header was set on before keeps its headers only there (getHeader() does not know them),
    // and an array value went out as lines of its own.
    const header = res._header;
    if (typeof header === 'string') return EVENT_STREAM_LINE.test(header);
    const type = res.getHeader?.('content-type');
    return typeof type === 'string' && EVENT_STREAM.test(type);
  } catch {
    return false;
  }
}

function unfinishedStatus(res: Unfinished): number {
  if (res[CUT] === true) return SERVER_CUT;
  try {
    // A response queued behind another has no socket; its request always has one.
    const socket = res.socket ?? res.req?.socket ?? undefined;
    // Set by res.destroy(err) before 'close'. A queued response gets Node's own ECONNRESET
    // ("aborted") when its connection closes, whoever closed it: that one tells nothing.
    const errored = res.errored;
    if (errored != null) {
      const queuedAbort =
        res.socket == null && socket?.destroyed === true && codeOf(errored) === 'ECONNRESET';
      if (!queuedAbort) return SERVER_CUT;
    }
    if (!socket) return CLIENT_CLOSED;
    const cause = socket.errored;
    if (cause != null) {
      const code = codeOf(cause);
      if (typeof code === 'string') {
        if (PEER_GONE.has(code) || code.startsWith('ERR_SSL_')) return CLIENT_CLOSED;
        const answered = NODE_ANSWER.get(code) ?? (code.startsWith('HPE_') ? 400 : undefined);
        if (answered !== undefined) return answered;
      }
      return SERVER_CUT;
    }
    const inFlight = socket._httpMessage;
    if (inFlight != null && inFlight !== res && inFlight[CUT] === true) return SERVER_CUT;
  } catch {
    // a getter of an error the app destroyed with: the usual reading
  }
  return CLIENT_CLOSED;
}
