import type { Express } from 'express';
import { createService, postJson, type ServiceOptions } from '@ai-teams/example-service-kit';
import { getTrackingId, setRequestContext } from '@ai-teams/tracking-id';
import { SessionStore } from './sessions';

export const SERVICE_NAME = 'api-gateway';

export interface GatewayOptions extends Partial<ServiceOptions> {
  /** @default WORKFLOW_AGENT_URL ?? 'http://127.0.0.1:3001' */
  agentUrl?: string;
  /** @default WORKFLOW_ENGINE_URL ?? 'http://127.0.0.1:3002' */
  engineUrl?: string;
  /** @default a store on DATABASE_PATH ?? ':memory:' */
  sessions?: SessionStore;
}

class BadRequest extends Error {
  override name = 'ValidationError';
  readonly status = 400;
  readonly code = 'invalid_body';
}

/**
 * An upstream's base URL, checked at start-up: a typo would otherwise be a 502 per request. An
 * empty variable is unset, as an empty PORT is.
 */
function baseUrl(option: string | undefined, variable: string, fallback: string): string {
  const value = option ?? (process.env[variable] || fallback);
  const protocol = URL.parse(value)?.protocol;
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new Error(`${variable} must be an http(s) URL such as ${fallback}, got "${value}"`);
  }
  return value.replace(/\/+$/, ''); // paths are appended with their own "/"
}

export function createApp(options: GatewayOptions = {}): Express {
  const agentUrl = baseUrl(options.agentUrl, 'WORKFLOW_AGENT_URL', 'http://127.0.0.1:3001');
  const engineUrl = baseUrl(options.engineUrl, 'WORKFLOW_ENGINE_URL', 'http://127.0.0.1:3002');
  const sessions = options.sessions ?? new SessionStore(process.env.DATABASE_PATH);
  const { app, logger, business, finish } = createService({
    defaultServiceName: SERVICE_NAME,
    ...options,
  });

  app.post('/api/v1/sessions', async (req, res) => {
    const userId = req.body?.user_id;
    const workflowType = req.body?.workflow_type;
    if (
      typeof userId !== 'string' ||
      !userId ||
      typeof workflowType !== 'string' ||
      !workflowType
    ) {
      throw new BadRequest('body needs "user_id" and "workflow_type" strings');
    }
    setRequestContext({
      user: { id: userId },
      workflow: { type: workflowType },
      operation: { name: 'create_session' },
    });
    business.recordEndpointUsage({
      endpoint: '/api/v1/sessions',
      apiVersion: 'v1',
      userSegment: 'registered',
    });
    logger.info('creating session', { workflow_type: workflowType });
    const { plan } = await postJson<{ plan: unknown }>(
      'workflow-agent',
      `${agentUrl}/generate-workflow`,
      {
        user_id: userId,
        workflow_type: workflowType,
      },
    );
    const run = await postJson<{ status: string }>('workflow-engine', `${engineUrl}/execute`, {
      plan,
      fail: req.body?.fail === true,
    });
    const row = sessions.create(userId, getTrackingId() ?? req.trackingId!, run.status);
    setRequestContext({ session: { id: row.id } });
    logger.info('session created', { session_id: row.id, status: row.status });
    res.status(201).json({ session_id: row.id, tracking_id: row.tracking_id });
  });

  app.get('/api/v1/sessions/:id', (req, res) => {
    const row = sessions.get(String(req.params.id));
    if (!row) {
      res.status(404).json({
        error: { type: 'NotFound', code: 'session_not_found', message: 'no such session' },
        tracking_id: req.trackingId,
      });
      return;
    }
    res.json(row);
  });

  return finish();
}
