export { createService, type Service, type ServiceOptions, type Logger } from './service';
export { postJson, UpstreamError, type PostJsonOptions, type UpstreamFailure } from './upstream';
export { serve } from './main';
export { WORKFLOW_STEPS, workflowTypeLabel } from './workflows';
