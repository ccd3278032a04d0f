import { serve } from '@ai-teams/example-service-kit';
import { createApp, SERVICE_NAME } from './app';

serve(createApp(), 3000, SERVICE_NAME);
