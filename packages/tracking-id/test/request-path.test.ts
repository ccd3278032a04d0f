import assert from 'node:assert/strict';
import express from 'express';
import { getTarget, listen } from '@ai-teams/test-utils';
import { requestPath } from '../src';

describe('requestPath()', () => {
  it('gives the path of an origin-form target without its query', () => {
    assert.equal(requestPath('/api/v1/items/42?debug=1&x=2'), '/api/v1/items/42');
    assert.equal(requestPath('/health'), '/health');
    assert.equal(requestPath('/?q'), '/');
    assert.equal(requestPath('/a#f?x'), '/a');
    assert.equal(requestPath('/a?x#f'), '/a');
  });

  it('gives the path of an absolute-form target, as Express reads it', async () => {
    // What Express's own req.path says for each target, over a real socket.
    const seen: string[] = [];
    const app = express();
    app.use((req, res) => {
      seen.push(req.path);
      res.end();
    });
    const server = await listen(app);
    const targets = [
      '/health#top',
      'http://127.0.0.1/health#top',
      'http://127.0.0.1/health',
      'HTTP://127.0.0.1:8080/a/b?x=1',
      'https://example.com',
      'http://example.com?x=1',
      'http://user@example.com/a%20b',
    ];
    try {
      for (const t of targets) assert.equal(await getTarget(server.url, t), 200);
    } finally {
      await server.close();
    }
    assert.deepEqual(
      targets.map((t) => requestPath(t)),
      seen,
    );
    assert.deepEqual(seen, ['/health', '/health', '/health', '/a/b', '/', '/', '/a%20b']);
  });

  it('keeps other targets as they are, and gives / for none', () => {
    assert.equal(requestPath('*'), '*');
    assert.equal(requestPath('not a url?x'), 'not a url');
    assert.equal(requestPath(''), '/');
    assert.equal(requestPath(undefined), '/');
  });
});
