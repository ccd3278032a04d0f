import type { Express } from 'express';
import { WORKFLOW_STEPS, createService, type ServiceOptions } from '@ai-teams/example-service-kit';
import { setRequestContext } from '@ai-teams/tracking-id';

export const SERVICE_NAME = 'workflow-agent';

// A stand-in for the model call: token counts follow the request, prices are per 1k tokens.
const MODEL = {
  model: 'gpt-4o-mini',
  provider: 'openai',
  inputPer1k: 0.00015,
  outputPer1k: 0.0006,
};

export function createApp(options: Partial<ServiceOptions> = {}): Express {
  const { app, logger, business, finish } = createService({
    defaultServiceName: SERVICE_NAME,
    ...options,
  });

  app.post('/generate-workflow', (req, res) => {
    const workflowType = String(req.body?.workflow_type ?? 'report');
    const userId = req.body?.user_id === undefined ? undefined : String(req.body.user_id);
    setRequestContext({
      workflow: { type: workflowType },
      operation: { name: 'generate_workflow' },
    });
    const steps = WORKFLOW_STEPS.get(workflowType) ?? ['analyse', 'execute'];
    const input = 40 + JSON.stringify(req.body ?? {}).length;
    const output = 25 * steps.length;
    const cost = (input / 1000) * MODEL.inputPer1k + (output / 1000) * MODEL.outputPer1k;
    business.recordAiRequest({
      model: MODEL.model,
      provider: MODEL.provider,
      tokens: { input, output },
      cost,
    });
    business.recordUserActivity({ activityType: 'workflow_generated' });
    business.recordEndpointUsage({
      endpoint: '/generate-workflow',
      userSegment: userId ? 'registered' : 'anonymous',
    });
    logger.info('workflow generated', {
      workflow_type: workflowType,
      steps: steps.length,
      ai: { model: MODEL.model, tokens: input + output, cost },
    });
    res.json({ plan: { workflow_type: workflowType, steps, model: MODEL.model } });
  });

  return finish();
}
