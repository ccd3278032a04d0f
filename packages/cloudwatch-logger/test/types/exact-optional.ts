// Compiled by `npm run typecheck` with exactOptionalPropertyTypes (tsconfig.exact.json), never
// run: every optional option accepts `undefined` (a config object's unset value), which keeps
// its default. `satisfies Record<…>` makes a new option fail here until it is listed.
import { cloudwatchFormat, createLogger, requestLogger } from '@ai-teams/cloudwatch-logger';
import type {
  CloudwatchFormatOptions,
  LoggerOptions,
  RequestLoggerOptions,
} from '@ai-teams/cloudwatch-logger';

const env: Record<string, string | undefined> = {};

const format = {
  environment: undefined,
  maxFields: undefined,
  maxEventBytes: undefined,
  redact: undefined,
  stackTrace: undefined,
  stackFrames: undefined,
  source: undefined,
  clock: undefined,
} satisfies Record<Exclude<keyof CloudwatchFormatOptions, 'service'>, undefined>;
cloudwatchFormat({ service: 'svc', ...format });

const logger = {
  ...format,
  level: undefined,
  stream: undefined,
  sync: undefined,
  formats: undefined,
  transports: undefined,
  defaultMeta: undefined,
  handleExceptions: undefined,
  exceptionFlushMs: undefined,
  env: undefined,
} satisfies Record<Exclude<keyof LoggerOptions, 'service'>, undefined>;
createLogger({ service: 'svc', ...logger });
createLogger({ service: 'svc', environment: env.ENVIRONMENT, level: env.LOG_LEVEL });

requestLogger({ service: 'svc', environment: env.ENVIRONMENT });
requestLogger({
  ...logger,
  service: undefined,
  logger: createLogger({ service: 'svc' }),
  skip: undefined,
  levelFor: undefined,
  now: undefined,
} satisfies Record<Exclude<keyof RequestLoggerOptions, 'logger'>, undefined> & {
  logger: unknown;
});

/** Arrays written `as const` (readonly) are accepted where the option only reads them. */
export function readonlyArrays(): void {
  const NONE = [] as const;
  const SECRETS = ['authorization', /secret/i] as const;
  const NOT_TRAFFIC = ['/health', /^\/internal\//] as const;
  createLogger({ service: 'svc', formats: NONE, transports: NONE, redact: SECRETS });
  requestLogger({ service: 'svc', skip: NOT_TRAFFIC });
}
