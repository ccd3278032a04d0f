import type { Express } from 'express';
import { closeWhenConnectionCloses, finalStatus } from '../src';

/** What `watchCloses()` saw, by request path. */
export interface Closes {
  /** How many times each response emitted 'close'. */
  closes: Record<string, number>;
  /** finalStatus() of each response, read when it closed. */
  statuses: Record<string, number>;
}

/**
 * Mounts what the packages' middleware do on `app`, counting each response's 'close' and
 * reading its finalStatus() then, by path.
 */
export function watchCloses(app: Express): Closes {
  const closes: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  app.use((req, res, next) => {
    closeWhenConnectionCloses(res);
    res.on('close', () => {
      closes[req.path] = (closes[req.path] ?? 0) + 1;
      statuses[req.path] = finalStatus(res);
    });
    next();
  });
  return { closes, statuses };
}
