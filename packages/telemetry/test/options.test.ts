import assert from 'node:assert/strict';
import { rateLimitedDiag } from '../src/diag';
import { resolveOptions } from '../src/options';

describe('resolveOptions()', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('names the option and the variable when the service name is missing', () => {
    delete process.env.OTEL_SERVICE_NAME;
    assert.throws(
      () => resolveOptions({}),
      /"serviceName" is required \(or set OTEL_SERVICE_NAME\)/,
    );
  });

  it('reads the environment: service, environment, project, exporters', () => {
    Object.assign(process.env, {
      OTEL_SERVICE_NAME: 'svc',
      ENVIRONMENT: 'prod',
      PROJECT: 'p',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_LOGS_EXPORTER: 'none',
    });
    delete process.env.DEPLOYMENT_ENVIRONMENT;
    const o = resolveOptions({});
    assert.deepEqual(
      [o.serviceName, o.environment, o.project, o.metrics, o.logs, o.traces],
      ['svc', 'prod', 'p', 'otlp', false, true],
    );
  });

  it('lets options win over the environment and trims the endpoint', () => {
    process.env.OTEL_METRICS_EXPORTER = 'otlp';
    const o = resolveOptions({ serviceName: 'a', metrics: 'none', otlpEndpoint: 'http://c:4318/' });
    assert.equal(o.metrics, 'none');
    assert.equal(o.otlpEndpoint, 'http://c:4318');
  });

  it('rejects an unknown metrics exporter with the variable name', () => {
    process.env.OTEL_METRICS_EXPORTER = 'statsd';
    assert.throws(() => resolveOptions({ serviceName: 'a' }), /OTEL_METRICS_EXPORTER.*"statsd"/);
  });
});

describe('rateLimitedDiag()', () => {
  it('prints one line per interval and counts the held-back ones', () => {
    const lines: string[] = [];
    let t = 0;
    const logger = rateLimitedDiag(
      1000,
      (l) => lines.push(l),
      () => t,
    );
    logger.error('export failed', new Error('ECONNREFUSED'));
    for (let i = 0; i < 50; i++) logger.error('export failed');
    t = 1500;
    logger.warn('still failing');
    logger.info('ignored');
    assert.deepEqual(lines, [
      '[telemetry] error: export failed ECONNREFUSED',
      '[telemetry] warn: still failing (50 similar messages suppressed)',
    ]);
  });
});
