import { optionalBoolean, optionalFunction, optionalString, redactOption } from './check';
import { defaultStackMode, environmentOf } from './levels';
import { DEFAULT_REDACT, redactor } from './redact';
import type { CloudwatchFormatOptions, StackTraceMode } from './types';

/** Options of one line, resolved once when the format or logger is created. */
export interface RenderConfig {
  service: string;
  maxFields: number;
  maxEventBytes: number;
  redact: ((key: string) => boolean) | undefined;
  stackTrace: StackTraceMode;
  stackFrames: number;
  source: boolean;
  clock: () => number;
}

export const DEFAULTS = {
  maxFields: 900,
  // The ECS/Docker awslogs driver splits events over 262 144 - 26 bytes (moby's
  // maximumBytesPerEvent: CloudWatch counts 26 bytes of overhead per event).
  maxEventBytes: 262_118,
  stackFrames: 10,
  source: false,
};

const STACK_MODES: readonly unknown[] = ['full', 'trimmed', 'none'] satisfies StackTraceMode[];

/** A mode outside the three (`'off'`, `false` from plain JS) would act as `trimmed`: stacks kept. */
function stackMode(value: unknown, environment: string): StackTraceMode {
  if (value === undefined || value === null) return defaultStackMode(environment);
  if (!STACK_MODES.includes(value))
    throw new TypeError(
      `cloudwatch-logger: \`stackTrace\` must be 'full', 'trimmed' or 'none', got ${typeof value === 'string' ? JSON.stringify(value) : typeof value}`,
    );
  return value as StackTraceMode;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new TypeError(`cloudwatch-logger: \`${name}\` must be a positive integer, got ${value}`);
  return value;
}

/** Validates and resolves the line options once, at creation. */
export function renderConfig(
  options: CloudwatchFormatOptions | undefined,
  env: NodeJS.ProcessEnv = process.env,
): RenderConfig & { environment: string } {
  if (!options || typeof options.service !== 'string' || options.service.trim() === '')
    throw new TypeError(
      "cloudwatch-logger: the `service` option is required (e.g. { service: 'api-gateway' }); it is written as `service` on every line",
    );
  // An option given as undefined (a config object's unset value) keeps its default.
  const environment = environmentOf(optionalString(options.environment, 'environment'), env);
  const maxEventBytes = positiveInteger(
    options.maxEventBytes ?? DEFAULTS.maxEventBytes,
    'maxEventBytes',
  );
  if (maxEventBytes < 1024)
    throw new TypeError('cloudwatch-logger: `maxEventBytes` must be at least 1024');
  return {
    environment,
    service: options.service,
    maxFields: Math.max(positiveInteger(options.maxFields ?? DEFAULTS.maxFields, 'maxFields'), 32),
    maxEventBytes,
    redact: redactor(redactOption(options.redact) ?? DEFAULT_REDACT),
    stackTrace: stackMode(options.stackTrace, environment),
    stackFrames: positiveInteger(options.stackFrames ?? DEFAULTS.stackFrames, 'stackFrames'),
    source: optionalBoolean(options.source, 'source') ?? DEFAULTS.source,
    clock: optionalFunction(options.clock, 'clock') ?? Date.now,
  };
}
