import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { prometheusMetrics } from '@ai-teams/otel-metrics';
import { captureLines, listen, type Listening } from '@ai-teams/test-utils';
import { createApp as createAgent } from '@ai-teams/example-workflow-agent';
import { createApp as createEngine } from '@ai-teams/example-workflow-engine';
import { createApp as createGateway } from '../src/app';

const MAIN = path.join(__dirname, '../dist/main.js');

/** Starts dist/main.js with `env`, expecting it to stop at start-up: its exit code and stderr. */
function startWith(env: Record<string, string>) {
  const child = spawnSync(process.execPath, [MAIN], {
    cwd: __dirname,
    env: { ...process.env, PORT: '0', ...env },
    encoding: 'utf8',
    timeout: 8_000, // a process that starts anyway is stopped here, and fails the test
  });
  return { status: child.status, stderr: child.stderr };
}

describe('api-gateway configuration from the environment', () => {
  it('stops at start-up with a message naming PORT when PORT is not a port number', () => {
    for (const port of ['abc', '70000', '-1', '3000.5']) {
      const { status, stderr } = startWith({ PORT: port });
      assert.equal(status, 1, stderr);
      assert.match(stderr, new RegExp(`PORT must be a port number \\(0-65535\\), got "${port}"`));
      assert.doesNotMatch(stderr, /listening on/);
    }
  });

  it('stops at start-up with a message naming the variable when an upstream URL is invalid', () => {
    for (const [variable, value] of [
      ['WORKFLOW_AGENT_URL', 'not-a-url'],
      ['WORKFLOW_ENGINE_URL', 'ftp://127.0.0.1:3002'],
    ] as const) {
      const { status, stderr } = startWith({ [variable]: value });
      assert.equal(status, 1, stderr);
      assert.match(stderr, new RegExp(`${variable} must be an http\\(s\\) URL .*, got "${value}"`));
    }
  });

  it('takes an empty upstream URL variable as unset, as an empty PORT', () => {
    const saved = process.env.WORKFLOW_AGENT_URL;
    process.env.WORKFLOW_AGENT_URL = '';
    try {
      const metrics = prometheusMetrics({ serviceName: 'probe', environment: 'test' });
      const app = createGateway({
        environment: 'test',
        logStream: captureLines().stream,
        meterProvider: metrics.meterProvider,
      });
      assert.equal(typeof app, 'function');
    } finally {
      if (saved === undefined) delete process.env.WORKFLOW_AGENT_URL;
      else process.env.WORKFLOW_AGENT_URL = saved;
    }
  });

  it('stops at start-up with a message naming DATABASE_PATH when the database cannot be opened', () => {
    const { status, stderr } = startWith({ DATABASE_PATH: '/nonexistent-dir/sessions.db' });
    assert.equal(status, 1, stderr);
    assert.match(
      stderr,
      /sessions database at "\/nonexistent-dir\/sessions\.db" \(DATABASE_PATH\)/,
    );
  });

  describe('with the upstream URLs ending in "/"', () => {
    let agent: Listening;
    let engine: Listening;
    const quiet = () => ({
      environment: 'test',
      logStream: captureLines().stream,
      meterProvider: prometheusMetrics({ serviceName: 'probe', environment: 'test' }).meterProvider,
    });
    before(async () => {
      agent = await listen(createAgent(quiet()));
      engine = await listen(createEngine(quiet()));
    });
    after(async () => {
      await agent.close();
      await engine.close();
    });

    it('still calls /generate-workflow and /execute, not //generate-workflow', async () => {
      const app = createGateway({
        ...quiet(),
        agentUrl: `${agent.url}/`,
        engineUrl: `${engine.url}//`,
      });
      const res = await request(app)
        .post('/api/v1/sessions')
        .send({ user_id: 'u-1', workflow_type: 'report' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    });
  });
});
