import './copies'; // first: says so when another copy of this package is already loaded
export { trackingId } from './middleware';
export { getTrackingId, getRequestContext, runInRequestContext, serverContext } from './context';
export { setRequestContext } from './request-context';
export { isTrackingId } from './id';
export { REQUEST_TRACKING_ID } from './own-id';
export type { TrackingIdOptions, RequestContext } from './types';
export { unwrapSkippedLayer } from './skipped-layer';
export {
  MOUNT_ORDER_WINDOW_MS,
  markErrorHandler,
  mountOrderCheck,
  type MountOrderCheck,
} from './mount-order';
export { requestPath } from './request-path';
export { CLIENT_CLOSED, SERVER_CUT, finalStatus, markServerCut, statusSent } from './final-status';
export { makeListenerRoom } from './listener-room';
export { closeWhenConnectionCloses } from './queued-close';
export {
  hookRoutes,
  matchedRouteTemplate,
  onRoute,
  routeTemplate,
  type RouteListener,
} from './route-hook';
export { shownValue, stackFrame, stackHeaderEnd, type StackFrame } from './shared';
export { addCrashFlush, crashFlushes, type CrashFlush } from './crash-flushes';
