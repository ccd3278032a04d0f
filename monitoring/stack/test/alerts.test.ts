// The alert path on the real stack: Prometheus evaluates monitoring/alerts.yml on a scrape
// target, Alertmanager (monitoring/alertmanager/alertmanager.yml) notifies the webhook, and the
// resolution follows. The target is a stand-in /metrics endpoint whose counters advance with
// wall time, so the rule sees a real 5xx burst. Takes about 3-5 minutes: the rule's `for: 1m`
// over a 2-minute rate window, a 15 s scrape interval, Alertmanager's grouping.
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import { eventually, startStack, type Stack } from '../harness';

const LABELS =
  'service_name="api-gateway",endpoint="/api/v1/workflows",method="POST",api_version="v1",environment="dev",project="starmates-ai-team",service="api-gateway"';

/** request_count_total at 20 req/s, half of them 500 while `burst` is on. */
function fakeService() {
  const started = Date.now();
  let errors = 0;
  let lastTick = started;
  let burst = true;
  const tick = (): void => {
    const now = Date.now();
    if (burst) errors += ((now - lastTick) / 1000) * 10;
    lastTick = now;
  };
  const server: Server = createServer((_req, res) => {
    tick();
    const total = ((Date.now() - started) / 1000) * 20;
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(
      [
        '# TYPE request_count_total counter',
        `request_count_total{${LABELS},status_code="200"} ${Math.floor(total - errors)}`,
        `request_count_total{${LABELS},status_code="500"} ${Math.floor(errors)}`,
        '',
      ].join('\n'),
    );
  });
  return {
    server,
    stopBurst: () => {
      tick();
      burst = false;
    },
  };
}

describe('alerts on the real stack: HighErrorRatio fires, reaches Alertmanager, resolves', function () {
  this.timeout(30 * 60 * 1000);
  let stack: Stack;
  const fake = fakeService();

  before(async function () {
    this.timeout(30 * 60 * 1000);
    await new Promise<void>((r) => fake.server.listen(0, '127.0.0.1', () => r()));
    stack = await startStack();
    const { port } = fake.server.address() as { port: number };
    stack.setServiceTargets([{ url: `http://127.0.0.1:${port}`, app: 'api-gateway' }]);
  });

  after(async () => {
    await stack?.stop();
    await new Promise<void>((r) => fake.server.close(() => r()));
  });

  const notified = (status: 'firing' | 'resolved') => () =>
    Promise.resolve(
      stack.webhook.notifications.find(
        (n) => n.status === status && n.alerts.some((a) => a.labels.alertname === 'HighErrorRatio'),
      ),
    );

  it('fires on a 50 % 5xx burst and the webhook receives it', async () => {
    const started = Date.now();
    const n = await eventually(
      'HighErrorRatio firing at the webhook',
      notified('firing'),
      6 * 60_000,
      1000,
    );
    console.log(`      firing notification after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const alert = n.alerts.find((a) => a.labels.alertname === 'HighErrorRatio')!;
    assert.deepEqual(
      [alert.labels.severity, alert.labels.service_name, alert.labels.environment],
      ['critical', 'api-gateway', 'dev'],
    );
  });

  it('resolves once the errors stop', async () => {
    fake.stopBurst();
    const started = Date.now();
    await eventually(
      'HighErrorRatio resolved at the webhook',
      notified('resolved'),
      8 * 60_000,
      1000,
    );
    console.log(
      `      resolved notification after ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  });
});
