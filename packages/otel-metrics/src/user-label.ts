import type { Request } from 'express';
import { cutLabel } from './validate';

/** The `user_id` label of a request without one. */
const NONE = 'none';

/**
 * `userIdLabel(req)` as a label value. The callback runs when the response closes, in an event
 * listener: a throw there (a header it expects and the request lacks) was an uncaught exception
 * that ended the process. It counts as `none`, with one `AI_TEAMS_METRICS_USER_ID_LABEL` warning
 * per middleware naming the error. A number is kept as its text; anything else that is not a
 * non-empty string is `none`; a string is cut at 128 characters, as every other label is.
 */
export function userLabel(userIdLabel: (req: Request) => unknown): (req: Request) => string {
  let warned = false;
  return (req) => {
    let value: unknown;
    try {
      value = userIdLabel(req);
    } catch (err) {
      if (!warned) {
        warned = true;
        process.emitWarning(
          `httpMetrics(): option "userIdLabel" threw (${reason(err)}); such requests are counted with user_id="none". Make the function return undefined when the request has no user.`,
          { code: 'AI_TEAMS_METRICS_USER_ID_LABEL' },
        );
      }
      return NONE;
    }
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (typeof value !== 'string' || value === '') return NONE;
    return cutLabel(value);
  };
}

function reason(err: unknown): string {
  try {
    return String(err instanceof Error ? err.message : err).slice(0, 200);
  } catch {
    return 'unreadable error';
  }
}
