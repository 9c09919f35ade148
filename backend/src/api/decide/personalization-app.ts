import { Hono } from 'hono';
import type { ApiContext } from '../api-context';
import { createTriggersApp } from '../../triggers/triggers-app';
import { createDecideApp } from './decide-app';

/**
 * Personalization: `GET /v1/decide` (signed by the edge) and the trigger rules API
 * `/v1/triggers` (secret keys). Webhooks are called by the dispatcher
 * (`triggers/webhook-dispatcher.ts`), which the backend starts beside the processor.
 */
export function createPersonalizationApp(context: ApiContext): Hono {
  const app = new Hono();
  app.route('/v1/decide', createDecideApp(context));
  app.route('/v1/triggers', createTriggersApp(context));
  return app;
}
