// Compiled by `npm run typecheck` with exactOptionalPropertyTypes (tsconfig.exact.json), never
// run: every optional option accepts `undefined` (a config object's unset value), which keeps
// its default. `satisfies Record<keyof …>` makes a new option fail here until it is listed.
import { setRequestContext, trackingId } from '@ai-teams/tracking-id';
import type { RequestContext, TrackingIdOptions } from '@ai-teams/tracking-id';

const env: Record<string, string | undefined> = {};

trackingId({ header: env.TRACKING_HEADER });
trackingId({
  header: undefined,
  attributeName: undefined,
  trustIncoming: undefined,
  exposeHeader: undefined,
  generateId: undefined,
} satisfies Record<keyof TrackingIdOptions, undefined>);

setRequestContext({
  user: undefined,
  session: undefined,
  workflow: undefined,
  operation: undefined,
} satisfies Record<keyof RequestContext, undefined>);
setRequestContext({
  user: { id: env.USER_ID, segment: undefined },
  session: { id: undefined },
  workflow: { id: undefined, type: undefined },
  operation: { name: undefined, type: undefined },
});
