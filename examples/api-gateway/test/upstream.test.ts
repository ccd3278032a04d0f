import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import express, { type Express, type RequestHandler } from 'express';
import request from 'supertest';
import { prometheusMetrics } from '@ai-teams/otel-metrics';
import { captureLines, listen, type Listening } from '@ai-teams/test-utils';
import { createApp as createAgent } from '@ai-teams/example-workflow-agent';
import { createApp as createEngine } from '@ai-teams/example-workflow-engine';
import { createApp as createGateway } from '../src/app';
import { SessionStore } from '../src/sessions';

const quiet = () => ({
  environment: 'test',
  logStream: captureLines().stream,
  meterProvider: prometheusMetrics({ serviceName: 'probe', environment: 'test' }).meterProvider,
});

/** A stand-in upstream on a loopback port that answers every POST with `handler`. */
function upstream(handler: RequestHandler): Promise<Listening> {
  const app = express();
  app.post(/.*/, handler);
  return listen(app);
}

describe('api-gateway with a faulty upstream', () => {
  let agent: Listening;
  let engine: Listening;
  let sessions: SessionStore;
  let dir: string;
  const servers: Listening[] = [];
  const rowCount = () => {
    const db = new DatabaseSync(path.join(dir, 'sessions.db'));
    try {
      return (db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  before(async () => {
    agent = await listen(createAgent(quiet()));
    engine = await listen(createEngine(quiet()));
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gateway-'));
    sessions = new SessionStore(path.join(dir, 'sessions.db'));
  });
  afterEach(async () => {
    sessions.close();
    rmSync(dir, { recursive: true, force: true });
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  after(async () => {
    await agent.close();
    await engine.close();
  });

  async function gatewayWith(agentUrl: string, engineUrl = engine.url): Promise<Express> {
    return createGateway({ ...quiet(), agentUrl, engineUrl, sessions });
  }
  async function fake(handler: RequestHandler): Promise<string> {
    const server = await upstream(handler);
    servers.push(server);
    return server.url;
  }
  const create = (app: Express, body: object = { user_id: 'u-1', workflow_type: 'report' }) =>
    request(app).post('/api/v1/sessions').send(body);

  /** The error answer, checked for the tracking id of its own header, and that no row was kept. */
  function failed(res: request.Response, status: number) {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.match(String(res.headers['x-tracking-id']), /^[0-9a-f]{32}$/);
    assert.equal(res.body.tracking_id, res.headers['x-tracking-id']);
    assert.equal(rowCount(), 0, 'no session row for a failed creation');
    return res.body.error as { type: string; code: string; message: string };
  }

  it('answers 502 upstream_bad_response, not 500, when an upstream answers 200 with HTML', async () => {
    const html = await fake((_req, res) => void res.type('html').send('<html>oops</html>'));
    const error = failed(await create(await gatewayWith(html)), 502);
    assert.equal(error.code, 'upstream_bad_response');
    assert.equal(error.type, 'UpstreamError');
    assert.match(error.message, /^workflow-agent answered 200 with a body that is not JSON/);
  });

  it('does not read (or forward) an upstream answer over 1 MiB: 502 upstream_bad_response', async () => {
    const huge = JSON.stringify({ plan: { steps: ['x'.repeat(2 * 1024 * 1024)] } });
    // Chunked, without content-length: the limit holds while reading, not just on the header.
    const big = await fake((_req, res) => {
      res.type('json');
      res.write(huge.slice(0, 1024));
      res.end(huge.slice(1024));
    });
    const error = failed(await create(await gatewayWith(big)), 502);
    assert.equal(error.code, 'upstream_bad_response');
    assert.match(error.message, /^workflow-agent /);
  });

  it('answers 504 upstream_timeout when an upstream never answers, or stalls mid-body', async () => {
    const silent = await fake(() => {});
    const stalled = await fake((_req, res) => {
      res.type('json').write('{"plan":');
    });
    const [never, midBody] = await Promise.all([
      create(await gatewayWith(silent)),
      create(await gatewayWith(stalled)),
    ]);
    for (const res of [never, midBody]) {
      const error = failed(res, 504);
      assert.deepEqual(
        [error.code, error.message],
        ['upstream_timeout', 'workflow-agent timed out'],
      );
    }
  });

  it('answers 502 upstream_unreachable when the upstream drops the connection mid-answer', async () => {
    const url = await fake((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"plan": {"steps": [');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const error = failed(await create(await gatewayWith(url)), 502);
    assert.deepEqual(
      [error.code, error.message],
      ['upstream_unreachable', 'workflow-agent unreachable'],
    );
  });

  it('answers 502 upstream_unreachable when nothing listens at the upstream URL', async () => {
    const gone = await upstream((_req, res) => void res.end());
    await gone.close();
    const error = failed(await create(await gatewayWith(gone.url)), 502);
    assert.deepEqual(
      [error.code, error.message],
      ['upstream_unreachable', 'workflow-agent unreachable'],
    );
  });
});
