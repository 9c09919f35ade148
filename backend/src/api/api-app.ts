import { Hono } from 'hono';
import type { ApiContext } from './api-context';
import { createPersonalizationApp } from './decide/personalization-app';
import { createGraphqlApp } from './graphql/graphql-app';
import { createParityApp } from './parity/parity-app';
import { createExportApp } from './exports/export-app';
import { createSegmentApiApp } from './segments/segment-api-app';

/**
 * The backend's query APIs, mounted next to ingest. Each API is a sub-app in its own folder
 * (`graphql/`, `segments/`, `decide/`, `parity/`, `exports/`) that takes the ApiContext; this file only mounts them.
 */
export function createApiApp(context: ApiContext): Hono {
  const app = new Hono();
  void context;
  app.route('/', createGraphqlApp(context));
  app.route('/', createPersonalizationApp(context));
  app.route('/', createSegmentApiApp(context));
  app.route('/v1/parity', createParityApp(context, { onReport: context.metrics?.parity }));
  app.route('/v1/exports', createExportApp(context));
  return app;
}
