import type { Express } from 'express';
import {
  createService,
  workflowTypeLabel,
  type ServiceOptions,
} from '@ai-teams/example-service-kit';
import { setRequestContext } from '@ai-teams/tracking-id';

export const SERVICE_NAME = 'workflow-engine';

/** A step that failed while running a plan. */
export class StepFailedError extends Error {
  override name = 'StepFailedError';
  readonly status = 500;
  readonly code = 'step_failed';
  constructor(readonly step: string) {
    super(`step "${step}" failed`);
  }
}

export function createApp(options: Partial<ServiceOptions> = {}): Express {
  const { app, logger, business, finish } = createService({
    defaultServiceName: SERVICE_NAME,
    ...options,
  });

  app.post('/execute', (req, res) => {
    const plan = req.body?.plan as { workflow_type?: string; steps?: unknown } | undefined;
    const steps = Array.isArray(plan?.steps) ? plan.steps.map(String).slice(0, 50) : [];
    const workflowType = String(plan?.workflow_type ?? 'unknown');
    setRequestContext({
      workflow: { type: workflowType },
      operation: { name: 'execute_workflow' },
    });
    const complexityLevel = steps.length > 3 ? 'high' : 'low';
    const label = workflowTypeLabel(workflowType); // the client's text: bounded as a label
    if (req.body?.fail === true) {
      business.recordWorkflowSuccessRate({ workflowType: label, complexityLevel, rate: 0 });
      // errorHandler() answers 500 and logs at ERROR; the logger's errorSpanEvents format
      // turns that line into an `error_log` event on the span.
      throw new StepFailedError(steps.at(-1) ?? 'start');
    }
    business.recordWorkflowSuccessRate({ workflowType: label, complexityLevel, rate: 1 });
    logger.info('workflow executed', { workflow_type: workflowType, steps: steps.length });
    res.json({ status: 'completed', steps_run: steps.length });
  });

  return finish();
}
