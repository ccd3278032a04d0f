export { createService, type Service, type ServiceOptions, type Logger } from './service';
export { postJson, UpstreamError } from './upstream';
export { serve } from './main';
