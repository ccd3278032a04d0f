import type { Response } from 'express';

/** A response its client went away from before it finished: nginx's "client closed request". */
export const CLIENT_CLOSED = 499;
/** A response the server cut: the app failed after the headers had gone out. */
export const SERVER_CUT = 500;

/**
 * The status a request ends with, one rule for access lines and metrics: the status sent, when
 * the response finished. When it did not, 500 if the app failed after the headers had gone out
 * (an Error in `res.locals.error`, where `errorHandler()` of @ai-teams/error-span-events puts
 * it before Express cuts the connection), else 499: the client went away first. Read it when the
 * response closes; an error handled after the client left is not the cause, and is not there yet.
 */
export function finalStatus(
  res: Pick<Response, 'writableFinished' | 'statusCode' | 'locals'>,
): number {
  if (res.writableFinished) return res.statusCode;
  try {
    return res.locals?.error instanceof Error ? SERVER_CUT : CLIENT_CLOSED;
  } catch {
    return CLIENT_CLOSED; // an `error` whose prototype cannot be read (a revoked proxy)
  }
}
