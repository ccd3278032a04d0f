import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/** What the OTLP exporters fail a batch with when their `concurrencyLimit` exports are in flight. */
export const CONCURRENT = 'Concurrent export limit reached';

/**
 * A span exporter that fails a batch at once while `limit` exports are in flight, as the OTLP
 * exporter's `concurrencyLimit` does, but lets a shutdown's flush through: after `flushing()`,
 * `flushBatches` more (the batches of a full queue). sdk-trace's batch processor, once an export
 * has failed, keeps starting batches without waiting, so the exports in flight stay at the limit;
 * a shutdown's flush then found no room under a single limit: its batches failed at once, and
 * the first of them ended the shutdown before the exports still in flight were answered (the
 * process exits, and they are lost with the queue).
 */
export class BoundedSpanExporter implements SpanExporter {
  private inFlight = 0;
  private flushed = false;

  constructor(
    private readonly exporter: SpanExporter,
    private readonly limit: number,
    private readonly flushBatches: number,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.inFlight >= this.limit + (this.flushed ? this.flushBatches : 0)) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error(CONCURRENT) });
      return;
    }
    this.inFlight++;
    let done = false;
    const finish = (result: ExportResult) => {
      if (!done) {
        done = true;
        this.inFlight--;
      }
      resultCallback(result);
    };
    try {
      this.exporter.export(spans, finish);
    } catch (error) {
      finish({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  /** A shutdown is flushing the queue: its batches go out besides the exports in flight. */
  flushing(): void {
    this.flushed = true;
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.exporter.forceFlush?.() ?? Promise.resolve();
  }
}
