import {
  createNoopMeter,
  diag,
  type Attributes,
  type Counter,
  type Meter,
  type MeterProvider,
} from '@opentelemetry/api';
import { onExit } from './diag';

/** The counter sdk-logs' processors add their finished records to, `error.type` saying why not. */
const PROCESSED = 'otel.sdk.processor.log.processed';
/** The `error.type` of a record the batch processor dropped because its queue was full. */
const QUEUE_FULL = 'queue_full';
/** How long drops are added up before they are reported, as one line. */
const REPORT_AFTER_MS = 1000;

/**
 * The self-observability meter provider a batch log processor takes (`selfObsMeterProvider`),
 * used for one thing: the records the processor drops at a full queue. sdk-trace's processor
 * warns of the spans it drops; sdk-logs' only counts them, on this meter, so with a collector
 * slower than the logs come in the OTLP copies of the lines were lost without a word (stdout
 * keeps every line). Drops of one second are reported as one warning, and at exit those not
 * reported yet. The rate-limited diagnostic line keeps only the latest of the warnings of an
 * interval, so from the second report on each also says how many were dropped since the start:
 * the line printed carries the total. Every other instrument is a no-op: nothing is recorded per
 * record, and no metric is exported.
 */
export function logDropReporter(
  schedule: (fn: () => void, ms: number) => void = (fn, ms) => setTimeout(fn, ms).unref(),
  atExit: (fn: () => void) => () => void = onExit,
): MeterProvider {
  const noop = createNoopMeter();
  let dropped = 0;
  let total = 0;
  let offExit: (() => void) | undefined;
  const report = () => {
    offExit?.();
    offExit = undefined;
    if (dropped === 0) return;
    const since = total > dropped ? ` (${total} since the start)` : '';
    diag.warn(
      `Dropped ${dropped} log records${since} because maxQueueSize reached ` +
        '(OTEL_BLRP_MAX_QUEUE_SIZE): their OTLP copies are lost, stdout has the lines',
    );
    dropped = 0;
  };
  const processed: Counter = {
    add(value: number, attributes?: Attributes) {
      if (attributes?.['error.type'] !== QUEUE_FULL) return;
      if (dropped === 0) {
        schedule(report, REPORT_AFTER_MS);
        // Drops just before the process ends are told too.
        offExit = atExit(report);
      }
      dropped += value;
      total += value;
    },
  };
  const meter: Meter = Object.assign(Object.create(noop) as Meter, {
    createCounter: (name: string, options?: Parameters<Meter['createCounter']>[1]) =>
      name === PROCESSED ? processed : noop.createCounter(name, options),
  });
  return { getMeter: () => meter };
}
