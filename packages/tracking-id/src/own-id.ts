/**
 * The meta key under which this project's packages hand a log call the tracking id of the
 * request it is about (an access line, an error handler's line). A logger of
 * `@ai-teams/cloudwatch-logger` takes it over the current context's id, which may be another
 * request's when a callback lost its context, and over a `tracking_id` field of the call, which
 * inside a request may be text of the client's (a logged request body). Such a logger says so
 * with a property of its own under the same key, set to `true`; any other logger is handed it
 * only in a context that is not the request's, as winston's `format.prettyPrint()` prints symbol
 * keys.
 */
export const REQUEST_TRACKING_ID: unique symbol = Symbol.for('@ai-teams/tracking-id.request-id');
