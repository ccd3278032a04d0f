import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PACKAGE = path.resolve(__dirname, '..');
const DIST = path.join(PACKAGE, 'dist');

describe('two copies of the package in one process', () => {
  let elsewhere: string;
  before(() => {
    // The built package copied to another directory, as npm installs a second version.
    elsewhere = mkdtempSync(path.join(os.tmpdir(), 'tracking-id-copy-'));
    cpSync(DIST, path.join(elsewhere, 'dist'), { recursive: true });
    cpSync(path.join(PACKAGE, 'package.json'), path.join(elsewhere, 'package.json'));
  });
  after(() => rmSync(elsewhere, { recursive: true, force: true }));

  it('warns once per other copy, naming both directories, and not for a copy evaluated again', () => {
    const script = `
      const seen = [];
      process.on('warning', (w) => seen.push([w.code, w.message]));
      require(${JSON.stringify(DIST)});
      // A test runner resetting its module registry: the same directory, evaluated again.
      for (const k of Object.keys(require.cache)) if (k.startsWith(${JSON.stringify(DIST + path.sep)})) delete require.cache[k];
      require(${JSON.stringify(DIST)});
      const copy = require(${JSON.stringify(path.join(elsewhere, 'dist'))});
      if (typeof copy.trackingId !== 'function') throw new Error('the copy did not load');
      // The second copy evaluated again: already reported.
      for (const k of Object.keys(require.cache)) if (k.startsWith(${JSON.stringify(elsewhere)})) delete require.cache[k];
      require(${JSON.stringify(path.join(elsewhere, 'dist'))});
      setImmediate(() => console.log(JSON.stringify(seen)));
    `;
    const out = execFileSync(process.execPath, ['-e', script], {
      // The copy finds @opentelemetry/* through the repository's node_modules.
      env: { ...process.env, NODE_PATH: path.resolve(PACKAGE, '../../node_modules') },
      encoding: 'utf8',
    });
    const seen = JSON.parse(out) as [string, string][];
    assert.equal(seen.length, 1, out);
    const [code, message] = seen[0]!;
    assert.equal(code, 'AI_TEAMS_TRACKING_ID_COPIES');
    assert.ok(message.includes(`(${DIST} and `), message);
    assert.ok(message.includes(path.join(elsewhere, 'dist')), message);
    assert.match(message, /npm dedupe/);
  });

  it("keeps its route accessor when an older copy's route hook installs after it", () => {
    // What @ai-teams/otel-metrics 0.1.0 installs on Express's request prototype: its own `route`
    // accessor (no mount kept), unless its marker is there.
    const script = `
      const http = require('node:http');
      const express = require('express');
      const { hookRoutes, matchedRouteTemplate } = require(${JSON.stringify(DIST)});
      const MARKER = Symbol.for('@ai-teams/otel-metrics.routeAccessor');
      const ROUTE = Symbol.for('@ai-teams/otel-metrics.route');
      const ON_ROUTE = Symbol.for('@ai-teams/otel-metrics.onRoute');
      function olderCopyHook(req) {
        let base = Object.getPrototypeOf(req);
        while (Object.getPrototypeOf(base) !== http.IncomingMessage.prototype) base = Object.getPrototypeOf(base);
        if (base[MARKER]) return;
        Object.defineProperty(base, 'route', {
          configurable: true,
          enumerable: true,
          get() { return this[ROUTE]; },
          set(route) { this[ROUTE] = route; this[ON_ROUTE]?.routed(route); },
        });
        Object.defineProperty(base, MARKER, { value: true });
      }
      const app = express();
      app.use((req, _res, next) => { hookRoutes(req); olderCopyHook(req); next(); });
      app.use('/api', express.Router().get('/u/:id', () => { throw new Error('boom'); }));
      // Read after the error unwound the mount, as an access line is.
      app.use((_err, req, res, _next) => res.status(500).send(String(matchedRouteTemplate(req))));
      const server = app.listen(0, '127.0.0.1', async () => {
        const get = (p) => fetch('http://127.0.0.1:' + server.address().port + p).then((r) => r.text());
        const answers = [await get('/api/u/1'), await get('/api/u/2')];
        server.close();
        console.log(JSON.stringify(answers));
      });
    `;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: PACKAGE, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), ['/api/u/:id', '/api/u/:id']);
  });
});
