import * as winston from 'winston';
import { renderConfig } from './config';
import { requestContextFormat } from './format';
import { LEVELS, resolveLevel } from './levels';
import { createRenderer } from './render';
import { guardMeta } from './safe-log';
import { JSON_TRANSPORT, writeAfterEnd } from './direct';
import { isOtelTransport } from './otlp-access';
import { protectOtlpCopies } from './otlp-safe';
import { JsonLineTransport } from './transport';
import type { LoggerOptions } from './types';

/**
 * A winston logger writing one CloudWatch JSON object per line to stdout (or `stream`).
 * Level: `LOG_LEVEL`, else `level`, else by environment (prod warn, staging info, dev debug).
 */
export function createLogger(options: LoggerOptions): winston.Logger {
  const env = options?.env ?? process.env;
  const cfg = renderConfig(options, env);
  const level = resolveLevel(options.level, cfg.environment, env);
  const formats = options.formats ?? [];
  const transport = new JsonLineTransport(
    options.stream ?? process.stdout,
    createRenderer(cfg),
    options.sync ?? false,
    cfg.clock,
  );
  const logger = winston.createLogger({
    level,
    levels: LEVELS,
    format: winston.format.combine(...formats, requestContextFormat(cfg.source)),
    ...(options.defaultMeta ? { defaultMeta: options.defaultMeta } : {}),
    transports: [transport, ...(options.transports ?? [])],
  });
  // The OpenTelemetry winston instrumentation adds its transport while the logger is made.
  protectOtlpCopies(logger.transports, cfg, isOtelTransport);
  guardMeta(logger, transport);
  Object.defineProperty(logger, JSON_TRANSPORT, { value: transport });
  writeAfterEnd(logger);
  return logger;
}
