import assert from 'node:assert/strict';
import { apiVersionOf, endpointOf, MAX_ENDPOINT_LENGTH, methodOf } from '../src/endpoint';

describe('endpoint labels', () => {
  it('joins the mount and the route template, and reports a mounted root route as the mount', () => {
    assert.equal(endpointOf('/api/v1', { path: '/sessions/:id' }), '/api/v1/sessions/:id');
    assert.equal(endpointOf('/api/v1', { path: '/' }), '/api/v1');
    assert.equal(endpointOf('', { path: '/' }), '/');
    assert.equal(endpointOf('', undefined), 'unmatched');
  });

  it('writes regex and array routes in a bounded form', () => {
    assert.equal(endpointOf('', { path: [/^\/a$/, '/b/:id'] }), 'regex(^\\/a$),/b/:id');
    // Under a mount, every path gets it, and a RegExp is a segment of its own (so api_version
    // is read from the mount).
    const mountedRegex = endpointOf('/api/v2', { path: /^\/reports\/(\d+)$/ });
    assert.equal(mountedRegex, '/api/v2/regex(^\\/reports\\/(\\d+)$)');
    assert.equal(apiVersionOf(mountedRegex), 'v2');
    assert.equal(
      endpointOf('/api/v2', { path: ['/a1', ['/a2', /^\/a3$/]] }),
      '/api/v2/a1,/api/v2/a2,/api/v2/regex(^\\/a3$)',
    );
    assert.equal(endpointOf('/api', { path: [] }), '/api');
    const long = endpointOf('', { path: new RegExp('x'.repeat(500)) });
    assert.equal(long.length, MAX_ENDPOINT_LENGTH);
    assert.ok(long.startsWith('regex(xxx'));
  });

  it('takes api_version from the first /vN/ segment of the template only', () => {
    assert.equal(apiVersionOf('/api/v1/sessions/:id'), 'v1');
    assert.equal(apiVersionOf('/V2/items'), 'v2');
    assert.equal(apiVersionOf('/api/v10'), 'v10');
    assert.equal(apiVersionOf('/api/version/x'), 'none');
    assert.equal(apiVersionOf('/api/v1beta/x'), 'none');
    assert.equal(apiVersionOf('unmatched'), 'none');
  });

  it('keeps known methods and folds others into _OTHER', () => {
    assert.equal(methodOf('PATCH'), 'PATCH');
    assert.equal(methodOf('PROPFIND'), '_OTHER');
    assert.equal(methodOf(undefined), '_OTHER');
  });
});
