// `node --import @ai-teams/telemetry/register app.mjs`: ES modules are not loaded through
// require(), so the instrumentation needs import-in-the-middle's loader hook to patch them.
import { createRequire, register } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import {
  register as registerSyncHooks,
  supportsSyncHooks,
} from 'import-in-the-middle/register-hooks.mjs';

const require = createRequire(import.meta.url);

// The hook wraps only the modules the instrumentations hook (each `Hook()` sends its names over
// the channel). Without that list it wraps every module the app imports, and a wrapped module's
// importers see copies of its exports: an exported `let` reassigned later (a pool made by an
// async `connect()`) kept its first value in them.
const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
if (supportsSyncHooks()) {
  // In-thread hooks (Node >= 22.22.3 / 24.11.1): no loader thread; the channel's messages
  // still arrive on a later turn, hence the wait below.
  registerSyncHooks(registerOptions.data);
} else {
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
}
require('./register.js');
await waitForAllMessagesAcknowledged();
