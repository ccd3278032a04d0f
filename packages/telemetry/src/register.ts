// `node --require @ai-teams/telemetry/register app.js`: set up from the environment alone,
// before the application loads express, so the instrumentation can patch it.
import { setupTelemetry } from './setup';

setupTelemetry({
  // Opt-in: an app with its own SIGTERM handler calls getTelemetry().shutdown() itself.
  shutdownOnSigterm: process.env.AI_TEAMS_TELEMETRY_SIGTERM === 'true',
});
