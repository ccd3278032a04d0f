import assert from 'node:assert/strict';
import { startOtlpReceiver, type OtlpReceiver } from '@ai-teams/test-utils';
import { startService } from './process';

describe('a crash with cloudwatch-logger handleExceptions', () => {
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(() => receiver.close());

  it("exports the crashing request's server span and its log records before the process exits 1", async () => {
    const s = await startService('crash.cjs', {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRICS_EXPORTER: 'none',
      // Far longer than the test: only the crash flush can send them.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      OTEL_BLRP_SCHEDULE_DELAY: '600000',
    });
    const exited = new Promise<number | null>((resolve) => s.child.once('exit', resolve));
    assert.equal((await fetch(`${s.url}/fine`)).status, 200);
    void fetch(`${s.url}/crash`).catch(() => {}); // never answered: the process ends
    assert.equal(await exited, 1);

    const crashLine = s
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, any>)
      .find((l) => l['@message'] === 'uncaught exception: crashed in a timer');
    assert.ok(crashLine, s.stdout());
    const traceId = crashLine.tracking_id as string;
    assert.match(traceId, /^[0-9a-f]{32}$/);

    const server = receiver
      .spans()
      .map((x) => x.span)
      .find((span) => span.kind === 2 && span.traceId === traceId);
    assert.ok(server, 'the server span of the crashed request');
    assert.equal(server.status.code, 2);
    assert.equal(server.status.message, 'uncaught exception: crashed in a timer');
    assert.equal(
      server.events.find((e: { name: string }) => e.name === 'exception')?.name,
      'exception',
    );
    const records = receiver
      .logRecords()
      .filter((x) => x.record.traceId === traceId)
      .map((x) => x.record.body.stringValue);
    assert.deepEqual(records, ['about to crash', 'uncaught exception: crashed in a timer']);
    // The request before it, ended in time, went out with the same flush.
    assert.ok(receiver.spans().some((x) => x.span.kind === 2 && x.span.traceId !== traceId));
  });
});
