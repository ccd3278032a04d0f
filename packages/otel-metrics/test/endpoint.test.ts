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
