import { config } from 'winston';
import type { LogLevel, StackTraceMode } from './types';

/** winston's npm levels (error 0 … silly 6). */
export const LEVELS = config.npm.levels as Record<LogLevel, number>;

const ALIASES: Record<string, LogLevel> = { warning: 'warn', trace: 'silly', fatal: 'error' };

export type Stage = 'prod' | 'staging' | 'dev' | 'other';

export function stageOf(environment: string): Stage {
  const e = environment.trim().toLowerCase();
  if (e === 'prod' || e === 'production') return 'prod';
  if (e === 'staging' || e === 'stage') return 'staging';
  if (e === 'dev' || e === 'development' || e === 'local') return 'dev';
  return 'other';
}

const STAGE_LEVEL: Record<Stage, LogLevel> = {
  prod: 'warn',
  staging: 'info',
  dev: 'debug',
  other: 'info',
};

export function environmentOf(option: string | undefined, env: NodeJS.ProcessEnv): string {
  // DEPLOYMENT_ENVIRONMENT first, as @ai-teams/telemetry and otel-metrics read it.
  return option ?? env.DEPLOYMENT_ENVIRONMENT ?? env.ENVIRONMENT ?? env.NODE_ENV ?? 'dev';
}

/**
 * The level a `log(level, …)` call is written at: its own when the logger has it, else its alias
 * (`fatal` → error, `warning` → warn, `trace` → silly, in any case), else `info`. winston drops a
 * call at a level it does not know, with only a note on stderr.
 */
export function callLevel(level: string, levels: Record<string, number>): string {
  if (Object.hasOwn(levels, level)) return level;
  const v = level.trim().toLowerCase();
  if (Object.hasOwn(levels, v)) return v;
  const alias = Object.hasOwn(ALIASES, v) ? ALIASES[v] : undefined;
  return alias && Object.hasOwn(levels, alias) ? alias : 'info';
}

function parseLevel(value: string, source: string): LogLevel {
  const v = value.trim().toLowerCase();
  if (v in LEVELS) return v as LogLevel;
  const alias = ALIASES[v];
  if (alias) return alias;
  throw new Error(
    `cloudwatch-logger: ${source} is "${value}", not a log level; use one of ` +
      `${Object.keys(LEVELS).join(', ')} (or unset it for the environment's default)`,
  );
}

/** LOG_LEVEL wins (operators change it without a deploy), then the option, then the stage. */
export function resolveLevel(
  option: string | undefined,
  environment: string,
  env: NodeJS.ProcessEnv,
): LogLevel {
  const fromEnv = env.LOG_LEVEL;
  if (fromEnv !== undefined && fromEnv !== '') return parseLevel(fromEnv, 'LOG_LEVEL');
  if (option !== undefined) return parseLevel(option, 'the `level` option');
  return STAGE_LEVEL[stageOf(environment)];
}

export function defaultStackMode(environment: string): StackTraceMode {
  return stageOf(environment) === 'prod' ? 'trimmed' : 'full';
}

/** `@level` as in the plan: upper case, `WARN` for warn. */
export const LEVEL_LABEL: Record<string, string> = Object.fromEntries(
  Object.keys(LEVELS).map((l) => [l, l.toUpperCase()]),
);

/** `@level` of a level name, custom levels included. */
export function levelLabel(level: string): string {
  return LEVEL_LABEL[level] ?? level.toUpperCase();
}
