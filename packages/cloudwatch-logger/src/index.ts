export { createLogger } from './logger';
export { cloudwatchFormat } from './format';
export { requestLogger } from './request-logger';
export { DEFAULT_REDACT } from './redact';
export type {
  CloudwatchFormatOptions,
  LoggerOptions,
  LogLevel,
  RequestLoggerOptions,
  StackTraceMode,
} from './types';
