import type { Writable } from 'node:stream';
import type { Request, Response } from 'express';
import type { Logform, Logger, transport as Transport } from 'winston';

/** winston's npm levels, most severe first. */
export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'verbose' | 'debug' | 'silly';

/** How much of an exception's stack goes into `exception.stack_trace`. */
export type StackTraceMode = 'full' | 'trimmed' | 'none';

/** Options of `cloudwatchFormat()`: the shape of one line. */
export interface CloudwatchFormatOptions {
  /** Service name written as `service` on every line. Required. */
  service: string;
  /**
   * Deployment environment: `prod`/`production`, `staging`, `dev`/`development`. Chooses the
   * default level and stack mode.
   * @default process.env.DEPLOYMENT_ENVIRONMENT ?? process.env.ENVIRONMENT ?? process.env.NODE_ENV ?? 'dev'
   */
  environment?: string | undefined;
  /**
   * Most leaf fields per event. Core fields are always kept; the rest are dropped in order and
   * counted in `log.dropped_fields`.
   * @default 900
   */
  maxFields?: number | undefined;
  /**
   * Largest line in bytes (newline excluded). Long strings are cut with a marker to fit; as a
   * last resort a core-only line with `log.truncated` is written.
   * @default 262118 (the ECS awslogs split size: 256 KiB less CloudWatch's 26 bytes per event)
   */
  maxEventBytes?: number | undefined;
  /**
   * Keys whose values are replaced by `[REDACTED]` at any depth: strings match the whole key
   * case-insensitively, RegExps are tested against the lower-cased key. `false` turns it off.
   * @default DEFAULT_REDACT
   */
  redact?: ReadonlyArray<string | RegExp> | false | undefined;
  /**
   * Stack in `exception.stack_trace`: `full`, `trimmed` (first `stackFrames` frames) or `none`.
   * @default 'trimmed' in prod, 'full' elsewhere
   */
  stackTrace?: StackTraceMode | undefined;
  /**
   * Frames kept when `stackTrace` is `trimmed`.
   * @default 10
   */
  stackFrames?: number | undefined;
  /**
   * Adds `source{module, function, line}` of the logging call. Costs a stack capture per line.
   * @default false
   */
  source?: boolean | undefined;
  /**
   * Clock for `@timestamp`, in epoch milliseconds.
   * @default Date.now
   */
  clock?: (() => number) | undefined;
}

/** Options of `createLogger()`. */
export interface LoggerOptions extends CloudwatchFormatOptions {
  /**
   * Lowest level written. `LOG_LEVEL` in the environment overrides it.
   * @default by environment: prod 'warn', staging 'info', dev 'debug', other 'info'
   */
  level?: string | undefined;
  /**
   * Where the JSON lines go.
   * @default process.stdout
   */
  stream?: Writable | undefined;
  /**
   * Write every line with its own `write()` call. By default lines are joined and written once
   * per event-loop turn (or every 64 KB); pending lines are written synchronously at exit
   * when the stream is stdout or stderr.
   * @default false
   */
  sync?: boolean | undefined;
  /**
   * Extra winston formats applied at logger level, before the logger adds `tracking_id` and
   * the request context, so every transport sees their result.
   * @default []
   */
  formats?: readonly Logform.Format[] | undefined;
  /**
   * Extra transports beside the JSON-line stream; they receive the plain winston record
   * (message and meta with `tracking_id` and the request context added).
   * @default []
   */
  transports?: readonly Transport[] | undefined;
  /**
   * Fields added to every line (winston `defaultMeta`).
   * @default undefined
   */
  defaultMeta?: Record<string, unknown> | undefined;
  /**
   * On an uncaught exception (an unhandled rejection under Node's default): one error line
   * through this logger, with the request's `tracking_id` when it crashed in one, then the
   * crash flushes (telemetry's `shutdown()`) for up to `exceptionFlushMs`, then exit code 1.
   * Installed once per process, by the first logger that asks.
   * @default false
   */
  handleExceptions?: boolean | undefined;
  /**
   * Longest wait for the crash flushes and the line's write before the process ends anyway
   * (`handleExceptions`). Whole milliseconds, 0 to 2147483647; another value is a TypeError.
   * @default 5000
   */
  exceptionFlushMs?: number | undefined;
  /**
   * Environment variables read for `LOG_LEVEL`, `ENVIRONMENT` and `NODE_ENV`.
   * @default process.env
   */
  env?: NodeJS.ProcessEnv | undefined;
}

/** Options of `requestLogger()`: a `logger`, or the options to create one. */
export interface RequestLoggerOptions extends Omit<LoggerOptions, 'service'> {
  /**
   * Service name of the logger created when there is no `logger`; required then.
   * @default none: required without `logger`
   */
  service?: string | undefined;
  /**
   * Logger the access lines go to. Without it one is created from these options (`service`
   * then required). With it the logger's options given here (`level`, `stream`,
   * `handleExceptions`, …) are ignored: they are that logger's own, set at `createLogger()`.
   * @default createLogger(options)
   */
  logger?: Logger | undefined;
  /**
   * Paths not logged: exact strings (query string ignored) or RegExps, or a predicate (one
   * that throws logs the request, with one `AI_TEAMS_LOG_SKIP` warning).
   * @default ['/health', '/metrics']
   */
  skip?: ReadonlyArray<string | RegExp> | ((req: Request) => boolean) | undefined;
  /**
   * Level of an access line.
   * @default 5xx 'error', 4xx 'warn', otherwise 'info'
   */
  levelFor?: ((status: number, req: Request, res: Response) => string) | undefined;
  /**
   * Monotonic clock in milliseconds, for `request.duration`.
   * @default performance.now
   */
  now?: (() => number) | undefined;
}
