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
    delete process.env.OTEL_RESOURCE_ATTRIBUTES;
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

  it('takes environment, project and version from OTEL_RESOURCE_ATTRIBUTES, as the SDK resource does', () => {
    Object.assign(process.env, {
      OTEL_RESOURCE_ATTRIBUTES:
        'deployment.environment.name=staging,project=from-attrs,service.version=2.1.0,team=x',
      ENVIRONMENT: 'prod',
      PROJECT: 'p',
      SERVICE_VERSION: '1.0.0',
    });
    const o = resolveOptions({ serviceName: 'a', environment: 'dev', project: 'q' });
    assert.deepEqual(
      [o.environment, o.project, o.serviceVersion],
      ['staging', 'from-attrs', '2.1.0'],
    );
    // The older key alone is read too.
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment=qa';
    assert.equal(resolveOptions({ serviceName: 'a' }).environment, 'qa');
  });

  it('names the service from OTEL_RESOURCE_ATTRIBUTES last: an option or OTEL_SERVICE_NAME wins', () => {
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'service.name=from-attrs';
    delete process.env.OTEL_SERVICE_NAME;
    assert.equal(resolveOptions({}).serviceName, 'from-attrs');
    process.env.OTEL_SERVICE_NAME = 'from-env';
    assert.equal(resolveOptions({}).serviceName, 'from-env');
    assert.equal(resolveOptions({ serviceName: 'from-code' }).serviceName, 'from-code');
  });

  it('turns every signal off with OTEL_SDK_DISABLED=true, over the options', () => {
    process.env.OTEL_SDK_DISABLED = 'true';
    const o = resolveOptions({ serviceName: 'a', traces: true, logs: true, metrics: 'prometheus' });
    assert.deepEqual([o.traces, o.logs, o.metrics], [false, false, 'none']);
    process.env.OTEL_SDK_DISABLED = 'false';
    assert.equal(resolveOptions({ serviceName: 'a', metrics: 'prometheus' }).metrics, 'prometheus');
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
