import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { disableTestTracing } from '@ai-teams/test-utils';
import { isTrackingId, trackingId } from '../src';

// Plain JavaScript (or a config file) can hand any value to any option: each wrong one must fail
// at creation with a TypeError naming the option and the value, not be read as something else.
const wrong = (value: unknown) => value as never;

function throwsNaming(make: () => unknown, message: RegExp): void {
  assert.throws(make, (err: Error) => err instanceof TypeError && message.test(err.message));
}

describe('trackingId() options checked at creation', () => {
  before(() => disableTestTracing());

  it('rejects a trustIncoming or exposeHeader that is not a boolean, naming the option and the value', () => {
    throwsNaming(
      () => trackingId({ trustIncoming: wrong('false') }),
      /trackingId\(\): option "trustIncoming" must be true or false, got "false"/,
    );
    throwsNaming(
      () => trackingId({ exposeHeader: wrong(0) }),
      /trackingId\(\): option "exposeHeader" must be true or false, got 0/,
    );
  });

  it('rejects options that are not an object, naming the factory', () => {
    throwsNaming(
      () => trackingId(wrong('X-Request-ID')),
      /trackingId\(\): options must be an object such as \{ header: 'X-Request-ID' \}, got "X-Request-ID"/,
    );
    throwsNaming(() => trackingId(wrong(['X-Request-ID'])), /trackingId\(\): options .*an array/);
  });

  it('keeps the defaults for null options and null or undefined booleans', async () => {
    for (const middleware of [
      trackingId(wrong(null)),
      trackingId({ trustIncoming: wrong(null), exposeHeader: undefined }),
    ]) {
      const app = express();
      app.use(middleware);
      app.get('/', (_req, res) => res.send('ok'));
      const res = await request(app).get('/').set('X-Tracking-ID', 'a'.repeat(32)).expect(200);
      assert.ok(isTrackingId(res.headers['x-tracking-id']));
      assert.notEqual(res.headers['x-tracking-id'], 'a'.repeat(32), 'trustIncoming stays off');
      assert.equal(res.headers['access-control-expose-headers'], 'X-Tracking-ID');
    }
  });
});
