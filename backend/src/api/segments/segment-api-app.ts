import { OpenAPIHono } from '@hono/zod-openapi';
import { requireSecretKey, type CustomerVariables } from '../../triggers/require-secret-key';
import type { ApiContext } from '../api-context';
import { createProfilesApp } from '../profiles/profiles-app';
import { createSegmentsApp } from './segments-app';

/** Where the OpenAPI 3.1 document of the Segment API is served (no key needed). */
export const OPENAPI_PATH = '/v1/openapi.json';

/**
 * The Segment API (REST): `/v1/segments` and `/v1/profiles`, with its OpenAPI document at
 * `GET /v1/openapi.json`. Every other route needs `Authorization: Bearer sk_…`, and the
 * customer is always the key's. See README.md in this folder for examples. Errors are thrown
 * as `ApiError`s and answered by the backend's one `onApiError` (errors/on-api-error.ts).
 */
export function createSegmentApiApp(
  context: ApiContext,
): OpenAPIHono<{ Variables: CustomerVariables }> {
  const app = new OpenAPIHono<{ Variables: CustomerVariables }>();
  // Scoped to this API's paths: a '/v1/*' middleware would also guard the other sub-apps
  // mounted beside it (decide is signed by the edge, not keyed).
  const auth = requireSecretKey(context.keys);
  for (const path of ['/v1/segments', '/v1/segments/*', '/v1/profiles/*']) app.use(path, auth);

  app.route('/', createSegmentsApp(context));
  app.route('/', createProfilesApp(context));

  app.openAPIRegistry.registerComponent('securitySchemes', 'secretKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'A secret API key (`sk_…`); it names the customer of every call.',
  });
  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: {
      title: 'Pulse Segment API',
      version: '1.0.0',
      description:
        'Segment definitions, their members, and profiles (identity and segments; deletion everywhere). Errors are `{ "error": { "code", "message", "issues"? } }`.',
    },
  });
  return app;
}
