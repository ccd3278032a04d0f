import assert from 'node:assert/strict';
import { lateLoadWarnings } from '../src/late-load';

const loaded = (module: string) => `/srv/app/node_modules/${module}/index.js`;

describe('lateLoadWarnings()', () => {
  it('says nothing when neither express nor winston was loaded before set-up', () => {
    assert.deepEqual(lateLoadWarnings([loaded('http-errors'), '/srv/app/main.js']), []);
  });

  it('tells express that its requests are not traced, and to set up before importing express', () => {
    const warnings = lateLoadWarnings([loaded('express'), loaded('router')]);
    assert.equal(warnings.length, 1, 'express and its router: one warning');
    const [message] = warnings as [string];
    assert.match(
      message,
      /^express was loaded before setupTelemetry\(\), so its requests are not traced \(no server span, no route, no middleware or handler spans\)\./,
    );
    assert.match(message, /`node --require @ai-teams\/telemetry\/register app\.js` \(CommonJS\)/);
    assert.match(message, /`node --import @ai-teams\/telemetry\/register app\.js` \(ES modules\)/);
    assert.match(message, /or call setupTelemetry\(\) before importing express\.$/);
    assert.doesNotMatch(message, /winston/);
  });

  it('tells winston that its loggers get no OpenTelemetry transport, and to load winston after set-up', () => {
    const warnings = lateLoadWarnings([
      loaded('winston'),
      '/srv/app/node_modules/winston/lib/x.js',
    ]);
    assert.equal(warnings.length, 1);
    const [message] = warnings as [string];
    assert.match(
      message,
      /^winston was loaded before setupTelemetry\(\), so its instrumentation never applies: no winston logger, not even one created after set-up, gets the OpenTelemetry transport \(its records are not sent over OTLP\) or trace_id\/span_id on its records\./,
    );
    assert.match(message, /--require @ai-teams\/telemetry\/register/);
    assert.match(
      message,
      /or import winston, and @ai-teams\/cloudwatch-logger which loads it, only after setupTelemetry\(\)\.$/,
    );
    assert.doesNotMatch(message, /requests are not traced|importing express/);
  });

  it('gives each module its own warning, express first', () => {
    const warnings = lateLoadWarnings([loaded('winston'), loaded('express')]);
    assert.deepEqual(
      warnings.map((w) => w.split(' ')[0]),
      ['express', 'winston'],
    );
  });
});
