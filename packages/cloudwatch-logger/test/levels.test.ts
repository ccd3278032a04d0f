import assert from 'node:assert/strict';
import { captureLines } from '@ai-teams/test-utils';
import { capturedLogger } from './helpers';
import { cloudwatchFormat, createLogger } from '../src';

function levelOf(environment: string | undefined, env: NodeJS.ProcessEnv, level?: string) {
  return createLogger({
    service: 'svc',
    stream: captureLines().stream,
    env,
    ...(environment ? { environment } : {}),
    ...(level ? { level } : {}),
  }).level;
}

describe('level selection', () => {
  it('follows the environment: prod warn, staging info, dev debug', () => {
    assert.equal(levelOf('prod', {}), 'warn');
    assert.equal(levelOf('production', {}), 'warn');
    assert.equal(levelOf('staging', {}), 'info');
    assert.equal(levelOf('dev', {}), 'debug');
    assert.equal(levelOf('development', {}), 'debug');
    assert.equal(levelOf('local', {}), 'debug', 'local acts as dev');
    assert.equal(levelOf('stage', {}), 'info', 'stage acts as staging');
    assert.equal(levelOf('test', {}), 'info', 'an unknown environment gets info');
  });

  it('reads the environment from DEPLOYMENT_ENVIRONMENT, then ENVIRONMENT, then NODE_ENV', () => {
    assert.equal(
      levelOf(undefined, { DEPLOYMENT_ENVIRONMENT: 'prod', ENVIRONMENT: 'dev', NODE_ENV: 'dev' }),
      'warn',
    );
    assert.equal(levelOf(undefined, { ENVIRONMENT: 'prod', NODE_ENV: 'development' }), 'warn');
    assert.equal(levelOf(undefined, { NODE_ENV: 'production' }), 'warn');
    assert.equal(levelOf(undefined, {}), 'debug', 'development by default');
  });

  it('lets LOG_LEVEL override the environment and the option, case-insensitively', () => {
    assert.equal(levelOf('prod', { LOG_LEVEL: 'DEBUG' }), 'debug');
    assert.equal(levelOf('prod', { LOG_LEVEL: 'info' }, 'error'), 'info');
    assert.equal(levelOf('prod', {}, 'info'), 'info');
    assert.equal(levelOf('dev', { LOG_LEVEL: 'warning' }), 'warn');
  });

  it('rejects an unknown level with a message naming its source', () => {
    assert.throws(
      () => levelOf('prod', { LOG_LEVEL: 'loud' }),
      /LOG_LEVEL is "loud", not a log level; use one of error, warn, info/,
    );
    assert.throws(() => levelOf('prod', {}, 'verbosest'), /the `level` option is "verbosest"/);
  });

  it('filters lines below the level', () => {
    const { out, logger } = capturedLogger({ service: 's', environment: 'prod' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    assert.deepEqual(
      out.lines().map((l) => l['@level']),
      ['WARN', 'ERROR'],
    );
  });

  it('rejects invalid numeric limits naming the option', () => {
    assert.throws(
      () => createLogger({ service: 's', maxFields: 0, env: {} }),
      /`maxFields` must be a positive integer/,
    );
    assert.throws(
      () => createLogger({ service: 's', maxEventBytes: 10, env: {} }),
      /`maxEventBytes` must be at least 1024/,
    );
  });

  it('rejects a stackTrace other than full, trimmed or none, naming the option', () => {
    // Plain JS passes anything; 'off' used to keep (trimmed) stacks on every line.
    for (const stackTrace of ['off', 'NONE', false]) {
      assert.throws(
        () => createLogger({ service: 's', stackTrace: stackTrace as never, env: {} }),
        /`stackTrace` must be 'full', 'trimmed' or 'none'/,
      );
      assert.throws(
        () => cloudwatchFormat({ service: 's', stackTrace: stackTrace as never }),
        /`stackTrace` must be 'full', 'trimmed' or 'none'/,
      );
    }
    // Unset, as every other option is: the default (full in dev).
    for (const stackTrace of [undefined, null]) {
      const out = captureLines();
      createLogger({
        service: 's',
        stackTrace: stackTrace as never,
        env: {},
        stream: out.stream,
        sync: true,
      }).error('failed', { error: new Error('boom') });
      const exception = out.lines()[0]!.exception as { stack_trace?: string };
      assert.match(String(exception.stack_trace), /^Error: boom\n/);
    }
  });
});
