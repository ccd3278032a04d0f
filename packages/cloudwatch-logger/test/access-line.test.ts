import assert from 'node:assert/strict';
import { ACCESS, accessLineRenderer } from '../src/access-line';
import { renderConfig } from '../src/config';
import { CONTEXT, type LineContext } from '../src/context';
import { createRenderer } from '../src/render';
import type { CloudwatchFormatOptions } from '../src/types';

type Info = Record<string | symbol, unknown>;

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const traced: LineContext = { trackingId: TRACE, traceId: TRACE, spanId: SPAN, request: undefined };
const untraced: LineContext = {
  ...traced,
  trackingId: undefined,
  traceId: undefined,
  spanId: undefined,
};

function accessRecord(overrides: Info = {}, ctx = traced): Info {
  return {
    level: 'info',
    message: 'GET /api/v1/items/42 - 200',
    tracking_id: TRACE,
    request: {
      method: 'GET',
      path: '/api/v1/items/42',
      route: '/api/v1/items/:id',
      duration: 0.001234,
      user_agent: 'curl/8.5.0',
      ip: '127.0.0.1',
    },
    response: { status: 200, size: 27, content_type: 'application/json; charset=utf-8' },
    [CONTEXT]: ctx,
    ...overrides,
  };
}

/** The same record rendered with and without the access-line mark. */
function both(record: Info, options: Partial<CloudwatchFormatOptions> = {}) {
  const render = createRenderer(
    renderConfig({ service: 'api-gateway', clock: () => 1_764_000_000_123, ...options }, {}),
  );
  const generic = render({ ...record });
  const fast = render({ ...record, [ACCESS]: true });
  return { generic, fast };
}

describe('the access-line serializer', () => {
  const cases: [string, Info, LineContext?][] = [
    ['a traced request', {}],
    ['an untraced request with no tracking id', { tracking_id: undefined }, untraced],
    [
      'an aborted response at warn',
      { level: 'warn', response: { status: 499, size: 0, aborted: true } },
    ],
    [
      'a response cut after its headers',
      { level: 'warn', response: { status: 499, size: 12, aborted: true, status_sent: 200 } },
    ],
    [
      'client strings that need escaping',
      {
        message: 'GET /a"b\\c\n\u2028é - 404',
        request: { method: 'GET', path: '/a"b\\c\n\u2028é', ip: '::1', user_agent: '\u0000\t"x"' },
        response: { status: 404, size: 9 },
      },
    ],
    ['a non-finite duration', { request: { method: 'GET', path: '/', duration: NaN } }],
    ['an empty response object', { response: {} }],
  ];
  for (const [name, overrides, ctx] of cases) {
    it(`writes the generic renderer's exact line for ${name}`, () => {
      const record = accessRecord(overrides, ctx);
      const { generic, fast } = both(record);
      assert.equal(fast, generic);
      JSON.parse(fast);
      // And the serializer itself wrote it: not the generic renderer standing in for it.
      const cfg = renderConfig({ service: 'api-gateway' }, {});
      const direct = accessLineRenderer(cfg)(
        { ...record, [ACCESS]: true },
        record[CONTEXT] as LineContext,
        '2025-11-24T16:00:00.123Z',
      );
      assert.equal(direct, generic);
    });
  }

  it('leaves records of another shape to the generic renderer, with the same result', () => {
    const withContext = accessRecord({ user: { id: 'u-1' } });
    const withMeta = accessRecord({ region: 'eu-west-1' });
    const withObject = accessRecord({ request: { method: 'GET', path: '/', headers: { a: 1 } } });
    const hugeAgent = accessRecord({
      request: { method: 'GET', path: '/', user_agent: 'x'.repeat(300_000) },
    });
    for (const record of [withContext, withMeta, withObject, hugeAgent]) {
      const { generic, fast } = both(record);
      assert.equal(fast, generic);
    }
    const line = JSON.parse(both(hugeAgent).fast) as Record<string, Record<string, string>>;
    assert.ok(line.request!.user_agent!.length < 300_000, 'the generic path truncated it');
  });

  it('defers to the generic renderer when a redaction rule names one of its keys', () => {
    const { fast } = both(accessRecord(), { redact: ['user_agent'] });
    const line = JSON.parse(fast) as Record<string, Record<string, string>>;
    assert.equal(line.request!.user_agent, '[REDACTED]');
  });

  it('formats @timestamp as ISO-8601 UTC with milliseconds across second boundaries', () => {
    for (const ms of [
      1_764_000_000_000, 1_764_000_000_007, 1_764_000_000_045, 1_764_000_000_999, 1_764_000_001_000,
    ]) {
      const render = createRenderer(renderConfig({ service: 's', clock: () => ms }, {}));
      const line = JSON.parse(render(accessRecord({ [ACCESS]: true }))) as Record<string, string>;
      assert.equal(line['@timestamp'], new Date(ms).toISOString());
    }
  });
});
