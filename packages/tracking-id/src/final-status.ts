import type { Response } from 'express';

/** A response its client went away from before it finished: nginx's "client closed request". */
export const CLIENT_CLOSED = 499;
/** A response the server cut: the app failed after the headers had gone out. */
export const SERVER_CUT = 500;

const CUT = Symbol.for('@ai-teams/tracking-id/server-cut');
type Marked = { [CUT]?: true };

/**
 * Marks `res` as failed by the app after its headers had gone out, when an error handler can no
 * longer answer and Express cuts the connection: `finalStatus()` then reads 500, not the 499 of
 * a client that left. `errorHandler()` of @ai-teams/error-span-events calls it; an error handler
 * of your own can too.
 */
export function markServerCut(res: Response): void {
  (res as Response & Marked)[CUT] = true;
}

/**
 * The status a request ends with, one rule for access lines and metrics: the status sent, when
 * the response finished; when it did not, 500 if the app failed after the headers had gone out
 * (see `markServerCut()`), else 499: the client went away first.
 */
export function finalStatus(res: Pick<Response, 'writableFinished' | 'statusCode'>): number {
  if (res.writableFinished) return res.statusCode;
  return (res as Marked)[CUT] === true ? SERVER_CUT : CLIENT_CLOSED;
}
