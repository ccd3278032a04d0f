// `npm run demo`: three services as separate processes, sample traffic, and for each request
// its tracking id, the whole cross-service trace, one log line and a few metrics.
// Spans go to an embedded OTLP receiver unless OTEL_EXPORTER_OTLP_ENDPOINT names a collector.
import { startOtlpReceiver, type OtlpReceiver } from '@ai-teams/test-utils';
import { startAll, stopAll, type RunningService } from './services';
import { renderTree, type TreeSpan } from './tree';

const keepRunning = process.argv.includes('--keep-running');
const collector = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;

function spansOf(receiver: OtlpReceiver, traceId: string): TreeSpan[] {
  return receiver
    .spans()
    .filter(({ span }) => span.traceId === traceId)
    .map(({ resource, span }) => ({
      service: String(resource['service.name']),
      name: String(span.name),
      spanId: String(span.spanId),
      parentSpanId: span.parentSpanId || undefined,
      startNs: BigInt(span.startTimeUnixNano),
      endNs: BigInt(span.endTimeUnixNano),
      error: span.status?.code === 2,
      events: ((span.events ?? []) as { name: string }[]).map((e) => e.name),
    }));
}

async function send(gateway: RunningService, label: string, body: object) {
  const res = await fetch(`${gateway.url}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    label,
    status: res.status,
    trackingId: res.headers.get('x-tracking-id') ?? '',
    body: await res.json(),
  };
}

async function main() {
  const receiver = collector ? undefined : await startOtlpReceiver();
  const endpoint = collector ?? receiver!.url;
  console.log(
    `telemetry → ${collector ? `collector at ${collector}` : `embedded OTLP receiver at ${endpoint}`}\n`,
  );
  const services = await startAll({
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_BLRP_SCHEDULE_DELAY: '200',
    OTEL_METRICS_EXPORTER: 'prometheus',
    ENVIRONMENT: process.env.ENVIRONMENT ?? 'dev',
  });
  const [gateway] = services as [RunningService, ...RunningService[]];
  let failed: boolean;
  try {
    const requests = [
      await send(gateway, 'success', { user_id: 'user-123', workflow_type: 'report' }),
      await send(gateway, 'failure', {
        user_id: 'user-456',
        workflow_type: 'research',
        fail: true,
      }),
    ];
    for (const r of requests) {
      console.log(`── ${r.label}: POST /api/v1/sessions → ${r.status}`);
      console.log(`   X-Tracking-ID: ${r.trackingId}`);
      console.log(`   body: ${JSON.stringify(r.body)}`);
      if (receiver) {
        await receiver.waitFor(
          () => new Set(spansOf(receiver, r.trackingId).map((s) => s.service)).size === 3,
          10_000,
        );
        for (const line of renderTree(spansOf(receiver, r.trackingId))) console.log(`   ${line}`);
      } else {
        console.log(`   trace: http://localhost:16686/trace/${r.trackingId} (Jaeger)`);
      }
      const logLine = services
        .flatMap((s) => s.lines)
        .find(
          (l) =>
            l.tracking_id === r.trackingId && l['@level'] === (r.status >= 500 ? 'ERROR' : 'INFO'),
        );
      console.log(`   log: ${JSON.stringify(logLine)}\n`);
    }
    const metricsText = await (await fetch(`${gateway.url}/metrics`)).text();
    console.log('── api-gateway /metrics (excerpt)');
    for (const line of metricsText
      .split('\n')
      .filter((l) => l.startsWith('request_count_total{'))
      .slice(0, 4)) {
      console.log(`   ${line}`);
    }
    failed = requests[0]!.status !== 201 || requests[1]!.status !== 502;
    if (keepRunning) {
      console.log('\nrunning (Ctrl-C to stop):');
      for (const s of services)
        console.log(`   ${s.name}: ${s.url}  (${s.url}/metrics, ${s.url}/health)`);
      await new Promise((resolve) => process.once('SIGINT', resolve));
    }
  } finally {
    await stopAll(services);
    await receiver?.close();
  }
  if (failed) {
    console.error('demo: unexpected status codes');
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
