export { enableTestTracing, disableTestTracing, type TestTracing } from './otel';
export {
  expressVersions,
  describeExpress,
  listen,
  wrappedLayers,
  getTarget,
  type ExpressVersion,
  type Listening,
} from './express';
export { captureLines, tick, type LineCapture } from './logs';
export { startOtlpReceiver, attributesOf, type OtlpReceiver, type OtlpRequest } from './otlp';
export { parsePrometheus, type PromText, type PromSample } from './metrics';
export { runNode } from './node';
export { freePort } from './ports';
export { failingSource, rawExchange, rawGet, type RawExchangeOptions } from './raw';
export { misplacedMountWarnings, stderrOf, warningsOf } from './warnings';
