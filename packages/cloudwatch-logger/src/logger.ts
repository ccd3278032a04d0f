import * as winston from 'winston';
import { REQUEST_TRACKING_ID } from '@ai-teams/tracking-id';
import {
  optionalArray,
  optionalBoolean,
  optionalString,
  optionsObject,
  streamOption,
} from './check';
import { renderConfig } from './config';
import { requestContextFormat } from './format';
import { LEVELS, resolveLevel } from './levels';
import { createRenderer } from './render';
import { guardMeta } from './safe-log';
import { ACCESS_KEY, JSON_TRANSPORT, writeAfterEnd } from './direct';
import { isOtelTransport } from './otlp-access';
import { protectOtlpCopies } from './otlp-safe';
import { JsonLineTransport } from './transport';
import { DEFAULT_EXCEPTION_FLUSH_MS, installCrashHandler } from './crash';
import type { LoggerOptions } from './types';

const accessKeys = new WeakMap<object, Map<string, symbol>>();

/** Service names whose symbol a stream keeps (stdout lives as long as the process). */
export const SHARED_ACCESS_KEYS = 1000;

/**
 * One symbol per stream and service: loggers made apart for the same service and stream (an
 * app's and its mounted sub-app's) share it, so a request passing both apps' `requestLogger()`
 * gets one line there, not two. Kept for the first SHARED_ACCESS_KEYS names of a stream: a
 * logger of any further name (one per tenant, say) gets a symbol of its own, rather than each
 * name being kept for good.
 */
function accessKey(stream: object, service: string): symbol {
  let byService = accessKeys.get(stream);
  if (!byService) accessKeys.set(stream, (byService = new Map()));
  let key = byService.get(service);
  if (key) return key;
  key = Symbol(`requestLogger ${service}`);
  if (byService.size < SHARED_ACCESS_KEYS) byService.set(service, key);
  return key;
}

/** How many service names `stream` keeps a shared symbol for (for tests). */
export function sharedAccessKeys(stream: object): number {
  return accessKeys.get(stream)?.size ?? 0;
}

function flushTimeout(value: unknown): number {
  if (value == null) return DEFAULT_EXCEPTION_FLUSH_MS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1)
    throw new TypeError(
      `cloudwatch-logger: \`exceptionFlushMs\` must be a whole number of milliseconds (0 to 2147483647), got ${String(value)}`,
    );
  return value;
}

/**
 * A winston logger writing one CloudWatch JSON object per line to stdout (or `stream`).
 * Level: `LOG_LEVEL`, else `level`, else by environment (prod warn, staging info, dev debug).
 */
export function createLogger(options: LoggerOptions): winston.Logger {
  optionsObject(options, 'createLogger()');
  const env = options?.env ?? process.env;
  const cfg = renderConfig(options, env);
  const level = resolveLevel(optionalString(options.level, 'level'), cfg.environment, env);
  const formats = optionalArray(options.formats, 'formats');
  const transports = optionalArray(options.transports, 'transports');
  const stream = streamOption(options.stream) ?? process.stdout;
  const handleExceptions = optionalBoolean(options.handleExceptions, 'handleExceptions') ?? false;
  const exceptionFlushMs = flushTimeout(options.exceptionFlushMs);
  const transport = new JsonLineTransport(
    stream,
    createRenderer(cfg),
    optionalBoolean(options.sync, 'sync') ?? false,
    cfg.clock,
  );
  const logger = winston.createLogger({
    level,
    levels: LEVELS,
    format: winston.format.combine(...formats, requestContextFormat(cfg.source)),
    ...(options.defaultMeta ? { defaultMeta: options.defaultMeta } : {}),
    transports: [transport, ...transports],
  });
  // The OpenTelemetry winston instrumentation adds its transport while the logger is made.
  protectOtlpCopies(logger.transports, cfg, isOtelTransport);
  guardMeta(logger, transport);
  Object.defineProperty(logger, JSON_TRANSPORT, { value: transport });
  Object.defineProperty(logger, ACCESS_KEY, { value: accessKey(stream, cfg.service) });
  // Says that its format takes the request's id handed over under this key (see enrich()).
  Object.defineProperty(logger, REQUEST_TRACKING_ID, { value: true });
  writeAfterEnd(logger);
  if (handleExceptions) installCrashHandler(logger, stream, exceptionFlushMs);
  return logger;
}
