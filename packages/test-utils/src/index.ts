export { enableTestTracing, disableTestTracing, type TestTracing } from './otel';
export {
  expressVersions,
  describeExpress,
  listen,
  type ExpressVersion,
  type Listening,
} from './express';
export { captureLines, tick, type LineCapture } from './logs';
