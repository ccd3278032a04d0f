import assert from 'node:assert/strict';
import { startOtlpReceiver, type OtlpReceiver } from '@ai-teams/test-utils';
import { startService } from './process';

describe('a crash with cloudwatch-logger handleExceptions', () => {
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(() => receiver.close());

  /** The fixture exporting to the receiver, and its exit code once it has ended. */
  async function crashingService() {
    const s = await startService('crash.cjs', {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRICS_EXPORTER: 'none',
      // Far longer than the test: only the crash flush can send them.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      OTEL_BLRP_SCHEDULE_DELAY: '600000',
    });
    const exited = new Promise<number | null>((resolve) => s.child.once('exit', resolve));
    return { s, exited };
  }

  it("exports the crashing request's server span and its log records before the process exits 1", async () => {
    const { s, exited } = await crashingService();
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

  it('ends the open request-handler span too and names the server span by its route', async () => {
    const { s, exited } = await crashingService();
    void fetch(`${s.url}/orders/7`).catch(() => {});
    assert.equal(await exited, 1);

    const spans = receiver.spans().map((x) => x.span);
    const server = spans.find((span) => span.kind === 2 && span.status.code === 2);
    assert.ok(server, 'the server span of the crashed request');
    assert.equal(server.name, 'GET /orders/:id');
    const route = server.attributes.find((a: { key: string }) => a.key === 'http.route');
    assert.equal(route?.value.stringValue, '/orders/:id');
    const trace = spans.filter((span) => span.traceId === server.traceId);
    const handler = trace.find(
      (span) => span.name.startsWith('request handler') && span.parentSpanId === server.spanId,
    );
    assert.equal(handler?.status.code, 2, 'the request-handler span, ended as an error');
    // The outgoing call's span (and the /fine request under it) hang from the handler span.
    const ids = new Set(trace.map((span) => span.spanId));
    const orphans = trace.filter((span) => span !== server && !ids.has(span.parentSpanId));
    assert.deepEqual(
      orphans.map((span) => span.name),
      [],
    );
  });
});
