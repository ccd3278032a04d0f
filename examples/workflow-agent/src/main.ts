import { serve } from '@ai-teams/example-service-kit';
import { createApp, SERVICE_NAME } from './app';

// A crash: one JSON line with its tracking id, and the telemetry flushed before the exit.
serve(createApp({ handleExceptions: true }), 3001, SERVICE_NAME);
