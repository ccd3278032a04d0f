import assert from 'node:assert/strict';
import request from 'supertest';
import createError from 'http-errors';
import winston from 'winston';
import { cloudwatchFormat, createLogger, type LoggerOptions } from '@ai-teams/cloudwatch-logger';
import {
  captureLines,
  describeExpress,
  enableTestTracing,
  listen,
  tick,
} from '@ai-teams/test-utils';
import { setRequestContext, trackingId } from '@ai-teams/tracking-id';
import { errorHandler, type ErrorHandlerOptions } from '../src';
import { poolRoutes, withThrowingGetter } from './helpers';

/** A cloudwatch-logger logger as a production service has it: no stacks in the lines. */
function cloudwatchLogger(options: Partial<LoggerOptions> = {}) {
  const capture = captureLines();
  const logger = createLogger({
    service: 'checkout',
    environment: 'prod',
    stackTrace: 'none',
    ...options,
    stream: capture.stream,
    sync: true,
    env: {},
  });
  return { logger, capture };
}

describeExpress('errorHandler() with a @ai-teams/cloudwatch-logger logger', (createApp) => {
  it("logs the thrown Error by the logger's own policy, as logger.error(msg, { error }) does", async () => {
    const { logger, capture } = cloudwatchLogger();
    const thrown = new RangeError('db pool exhausted');
    const app = createApp();
    app.get('/orders/:id', () => {
      throw thrown;
    });
    app.use(errorHandler({ logger, environment: 'prod' }));
    await request(app).get('/orders/7?token=x').expect(500);
    logger.error('db pool exhausted', { error: thrown });
    const [handled, direct] = capture.lines() as [Record<string, any>, Record<string, any>];
    // stackTrace 'none': no stack anywhere in the line (it carried the whole of it).
    assert.doesNotMatch(JSON.stringify(handled), /RangeError: db pool|\s+at /);
    assert.deepEqual(handled.error, {
      type: 'RangeError',
      message: 'db pool exhausted',
      category: 'server',
    });
    assert.deepEqual(handled.error, direct.error);
    assert.deepEqual(handled.exception, direct.exception);
    assert.equal(handled.exception.class, 'RangeError');
    // The handler's own fields, and what docs/cloudwatch.md's "Error lines per service" reads.
    assert.equal(handled['@level'], 'ERROR');
    assert.equal(handled.service, 'checkout');
    assert.deepEqual(handled.request, { method: 'GET', path: '/orders/7' });
    assert.deepEqual(handled.response, { status: 500 });
  });

  it("keeps the thrown error's cause, which the line shows under error.cause", async () => {
    const { logger, capture } = cloudwatchLogger();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    const app = createApp();
    app.get('/upstream', () => {
      throw createError(502, 'workflow-agent unreachable', {
        cause: new TypeError('fetch failed', { cause: refused }),
      });
    });
    app.use(errorHandler({ logger, environment: 'prod' }));
    const res = await request(app).get('/upstream').expect(502);
    assert.doesNotMatch(res.text, /ECONNREFUSED|fetch failed/, 'not in the answer');
    const [line] = capture.lines() as [Record<string, any>];
    assert.deepEqual(line.error.cause, {
      type: 'TypeError',
      message: 'fetch failed',
      cause: { type: 'Error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' },
    });
  });

  /**
   * A pool that runs a waiting callback in the context of the request that frees it: request
   * A's error reaches the handler while request B's context is the current one. Returns A's and
   * B's tracking ids and A's answer.
   */
  async function poolFailure(logger: ErrorHandlerOptions['logger']) {
    const app = createApp();
    app.use(trackingId());
    app.use((req, _res, next) => {
      setRequestContext({ user: { id: `user of ${req.path}` } });
      next();
    });
    const exchange = poolRoutes(app);
    app.use(errorHandler({ logger, environment: 'prod' }));
    const server = await listen(app);
    try {
      const { a, b } = await exchange(server.url);
      const idA = a.headers.get('x-tracking-id');
      assert.notEqual(idA, b.headers.get('x-tracking-id'));
      const answered = ((await a.json()) as { tracking_id: string }).tracking_id;
      return { idA, answered };
    } finally {
      await server.close();
    }
  }

  it("logs its request's tracking id and user when the error comes in another request's context", async () => {
    const { logger, capture } = cloudwatchLogger();
    const { idA, answered } = await poolFailure(logger);
    assert.equal(answered, idA);
    const [line] = capture.lines() as [Record<string, unknown>];
    assert.equal(line['@message'], 'pool failed');
    assert.equal(line.tracking_id, idA);
    assert.deepEqual(line.user, { id: 'user of /wait' });
  });

  describe('with the SDK', () => {
    before(() => enableTestTracing());

    it("logs the error of a request in another request's context with its own trace", async () => {
      const { logger, capture } = cloudwatchLogger();
      const { idA } = await poolFailure(logger);
      const [line] = capture.lines() as [Record<string, any>];
      assert.equal(line['@message'], 'pool failed');
      assert.equal(line.tracking_id, idA);
      assert.equal(line.tracing.trace_id, idA);
      assert.deepEqual(line.user, { id: 'user of /wait' });
    });
  });

  it("hands the id to a winston logger of your own under the symbol only in another request's context", async () => {
    // One logger of the app's own: cloudwatchFormat() on one transport, prettyPrint() (which
    // prints symbol keys) on the other.
    const lines = captureLines();
    const printed = captureLines();
    const logger = winston.createLogger({
      transports: [
        new winston.transports.Stream({
          stream: lines.stream,
          format: cloudwatchFormat({
            service: 'checkout',
            environment: 'prod',
            stackTrace: 'none',
          }),
        }),
        new winston.transports.Stream({
          stream: printed.stream,
          format: winston.format.prettyPrint(),
        }),
      ],
    });
    const app = createApp();
    app.use(trackingId());
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.use(errorHandler({ logger, environment: 'prod' }));
    const res = await request(app).get('/boom').expect(500);
    await tick();
    assert.equal(lines.lines()[0]!.tracking_id, res.headers['x-tracking-id']);
    assert.match(printed.raw().join('\n'), /tracking_id: '[0-9a-f]{32}'/);
    assert.doesNotMatch(
      printed.raw().join('\n'),
      /tracking-id\.request-id/,
      'no symbol key printed',
    );
    lines.clear();
    const { idA } = await poolFailure(logger);
    await tick();
    const [line] = lines.lines();
    assert.equal(line!['@message'], 'pool failed');
    assert.equal(line!.tracking_id, idA);
  });

  it("keeps the stack where the logger's policy keeps it", async () => {
    const { logger, capture } = cloudwatchLogger({ stackTrace: 'full' });
    const app = createApp();
    app.get('/boom', () => {
      throw new TypeError('boom');
    });
    app.use(errorHandler({ logger, environment: 'prod' }));
    await request(app).get('/boom').expect(500);
    const [line] = capture.lines() as [Record<string, any>];
    assert.match(line.exception.stack_trace, /^TypeError: boom\n\s+at /);
  });

  it('maps an http-errors 4xx to category client with its code, at WARN', async () => {
    const { logger, capture } = cloudwatchLogger();
    const app = createApp();
    app.get('/q', () => {
      throw createError(422, 'quantity must be positive', { code: 'INVALID_QUANTITY' });
    });
    app.use(errorHandler({ logger, environment: 'prod' }));
    await request(app).get('/q').expect(422);
    const [line] = capture.lines() as [Record<string, any>];
    assert.equal(line['@level'], 'WARN');
    assert.deepEqual(line.error, {
      type: 'UnprocessableEntityError',
      code: 'INVALID_QUANTITY',
      message: 'quantity must be positive',
      category: 'client',
    });
  });

  it('logs non-Error throws and errors whose getters throw', async () => {
    const { logger, capture } = cloudwatchLogger();
    const app = createApp();
    app.get('/string', () => {
      throw 'plain string';
    });
    app.get('/getter', () => {
      throw withThrowingGetter(new Error('status getter'), 'status', 'status getter failed');
    });
    app.use(errorHandler({ logger, environment: 'prod' }));
    await request(app).get('/string').expect(500);
    await request(app).get('/getter').expect(500);
    const lines = capture.lines() as Record<string, any>[];
    assert.deepEqual(
      lines.map((l) => [l['@message'], l.error.type, l.error.category]),
      [
        ['plain string', 'UnknownError', 'server'],
        ['status getter', 'Error', 'server'],
      ],
    );
  });
});
