// Compiled by `npm run typecheck` with exactOptionalPropertyTypes (tsconfig.exact.json), never
// run: every optional option accepts `undefined` (a config object's unset value), which keeps
// its default. `satisfies Record<keyof …>` makes a new option fail here until it is listed.
import { errorHandler, errorSpanEvents, recordErrorOnSpan } from '@ai-teams/error-span-events';
import type {
  ErrorHandlerOptions,
  ErrorLimits,
  ErrorSpanEventsOptions,
} from '@ai-teams/error-span-events';

const env: Record<string, string | undefined> = {};

errorHandler({ environment: env.ENVIRONMENT });
errorHandler({
  logger: undefined,
  environment: undefined,
  maxMessageLength: undefined,
  maxStackLength: undefined,
} satisfies Record<keyof ErrorHandlerOptions, undefined>);
errorSpanEvents({
  level: undefined,
  levels: undefined,
  loggerName: undefined,
  eventName: undefined,
  maxMessageLength: undefined,
  maxStackLength: undefined,
} satisfies Record<keyof ErrorSpanEventsOptions, undefined>);
recordErrorOnSpan(undefined, new Error('x'), {}, {
  maxMessageLength: undefined,
  maxStackLength: undefined,
} satisfies Record<keyof ErrorLimits, undefined>);
