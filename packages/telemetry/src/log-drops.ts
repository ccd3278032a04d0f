import {
  createNoopMeter,
  diag,
  type Attributes,
  type Counter,
  type Meter,
  type MeterProvider,
} from '@opentelemetry/api';

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
 * keeps every line). Drops of one second are reported as one warning, which the rate-limited
 * diagnostic line then holds to one line per interval with the others. Every other instrument is
 * a no-op: nothing is recorded per record, and no metric is exported.
 */
export function logDropReporter(): MeterProvider {
  const noop = createNoopMeter();
  let dropped = 0;
  const report = () => {
    process.off('exit', report);
    if (dropped === 0) return;
    diag.warn(
      `Dropped ${dropped} log records because maxQueueSize reached (OTEL_BLRP_MAX_QUEUE_SIZE): ` +
        'their OTLP copies are lost, stdout has the lines',
    );
    dropped = 0;
  };
  const processed: Counter = {
    add(value: number, attributes?: Attributes) {
      if (attributes?.['error.type'] !== QUEUE_FULL) return;
      if (dropped === 0) {
        setTimeout(report, REPORT_AFTER_MS).unref();
        // Drops just before the process ends are told too (unless a line was printed within the
        // diagnostic interval: then it is held, and the exit leaves no time to print it).
        process.once('exit', report);
      }
      dropped += value;
    },
  };
  const meter: Meter = Object.assign(Object.create(noop) as Meter, {
    createCounter: (name: string, options?: Parameters<Meter['createCounter']>[1]) =>
      name === PROCESSED ? processed : noop.createCounter(name, options),
  });
  return { getMeter: () => meter };
}
