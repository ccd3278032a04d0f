export { errorSpanEvents } from './format';
export { recordErrorOnSpan } from './record';
export { errorHandler } from './handler';
export type {
  ErrorSpanEventsOptions,
  ErrorHandlerOptions,
  ErrorLogger,
  ErrorLimits,
  ErrorEventAttributes,
} from './types';
