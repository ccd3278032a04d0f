import assert from 'node:assert/strict';
import { lateLoadWarnings, unpatchedWarnings, warnIfNotPatched } from '../src/late-load';

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
    assert.match(message, /or, in CommonJS, call setupTelemetry\(\) before requiring express\.$/);
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
      /or, in CommonJS, require winston, and @ai-teams\/cloudwatch-logger which loads it, only after setupTelemetry\(\)\.$/,
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

describe('unpatchedWarnings()', () => {
  // The part of express's exports the instrumentation wraps, unwrapped and wrapped (with the
  // properties shimmer gives a wrapper, which isWrapped() reads). The fixtures of telemetry.test.ts run the real thing.
  const express = { application: { use: function use() {} } };
  const entry = '/srv/app/node_modules/express/index.js';

  it('names a loaded, unpatched express and its directory', () => {
    const warnings = unpatchedWarnings({ [entry]: { loaded: true, exports: express } });
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /^express \(\/srv\/app\/node_modules\/express\) is not instrumented, so its requests are traced without a route/,
    );
    assert.match(warnings[0]!, /`node --import @ai-teams\/telemetry\/register app\.js` installs/);
  });

  it('says nothing of a patched express, one still being linked, or other modules', () => {
    const patchedUse = Object.assign(() => undefined, {
      __wrapped: true,
      __original: express.application.use,
      __unwrap: () => undefined,
    });
    assert.deepEqual(
      unpatchedWarnings({
        [entry]: { loaded: true, exports: { application: { use: patchedUse } } },
        '/srv/other/node_modules/express/index.js': { loaded: false, exports: {} },
        '/srv/app/node_modules/express/lib/express.js': { loaded: true, exports: express },
        '/srv/app/node_modules/router/index.js': { loaded: true, exports: {} },
        '/srv/app/main.js': undefined,
      }),
      [],
    );
  });
});

describe('warnIfNotPatched()', () => {
  it('is settled once express is loaded, and not before (an app that has not imported it yet)', () => {
    const patchedUse = Object.assign(() => undefined, {
      __wrapped: true,
      __original: () => undefined,
      __unwrap: () => undefined,
    });
    assert.equal(warnIfNotPatched({ '/srv/app/main.js': { loaded: true, exports: {} } }), false);
    assert.equal(
      warnIfNotPatched({
        '/srv/app/node_modules/express/index.js': { loaded: false, exports: {} },
      }),
      false,
      'linked, not run yet',
    );
    assert.equal(
      warnIfNotPatched({
        '/srv/app/node_modules/express/index.js': {
          loaded: true,
          exports: { application: { use: patchedUse } },
        },
      }),
      true,
    );
  });
});
