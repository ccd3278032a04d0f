// `node --import @ai-teams/telemetry/register app.mjs`: ES modules are not loaded through
// require(), so the instrumentation needs import-in-the-middle's loader hook to patch them.
import { createRequire, register } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import {
  register as registerSyncHooks,
  supportsSyncHooks,
} from 'import-in-the-middle/register-hooks.mjs';

const require = createRequire(import.meta.url);

if (supportsSyncHooks()) {
  // In-thread hooks (Node >= 22.22.3 / 24.11.1): no loader thread, no acknowledgement step.
  registerSyncHooks();
  require('./register.js');
} else {
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  require('./register.js');
  await waitForAllMessagesAcknowledged();
}
