import { Hono, type Handler } from 'hono';
import type { EdgeDeps, EdgeEnv } from './deps';
import { notFound, onError } from './errors/respond';
import { authenticate } from './middleware/auth';
import { readBody } from './middleware/body';
import { exposeToOrigin, preflight, requireAllowedOrigin } from './middleware/cors';
import { rateLimit } from './middleware/rate-limit';
import { routeByCustomer } from './middleware/routing';
import { observeRequests } from './observe/edge-observer';
import { jsonLog, traceRequests } from './observe/edge-log';
import { createIngestPipeline } from './pipeline/ingest';
import { decide } from './routes/decide';
import { countNativeEvents, nativeEvents } from './routes/events';
import { receipts } from './routes/receipts';
import { countSegmentMessages, segmentBatch, segmentCall } from './routes/segment';
import { rudderstackSourceConfig } from './routes/rudderstack-source-config';
import { segmentSettings } from './routes/segment-settings';
import { SEGMENT_CALLS, SEGMENT_SHORT_PATHS } from './segment/segment-call';

/**
 * The Pulse edge collector: one Hono app, the same on Workers and on Node; only the deps
 * differ. Every ingest endpoint runs the same chain:
 *
 * body (415, 413, 400) → key (401) → origin (403) → routing → rate limit (429) → endpoint
 *
 * and every error is answered by the one `onError` as JSON `{ error: { code, message } }`.
 *
 * @example
 * const app = createApp({ config, limiter, sink, legacy, ipSalt });
 * const res = await app.request('/v1/events?key=pk_test', { method: 'POST', body });
 */
export function createApp(deps: EdgeDeps): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();
  app.onError(onError);
  app.notFound(notFound);
  app.use('*', traceRequests(deps.log ?? jsonLog(), deps.spans));
  app.use('*', observeRequests(deps.observer));
  app.use('*', exposeToOrigin());

  const pipeline = createIngestPipeline(deps);
  const retryAfterSeconds = deps.unavailableRetryAfterSeconds ?? 5;
  const endpoint = (
    path: string,
    countEvents: (body: unknown) => number,
    handler: Handler<EdgeEnv>,
  ) => {
    app.options(path, preflight(deps.config));
    app.post(
      path,
      readBody(),
      authenticate(deps.config),
      requireAllowedOrigin(),
      // Routing before the limit: Pulse's limit never stands in front of a legacy primary.
      routeByCustomer(deps.config, deps.legacy, retryAfterSeconds),
      rateLimit(deps.limiter, countEvents),
      handler,
    );
  };

  endpoint('/v1/events', countNativeEvents, nativeEvents(pipeline));
  endpoint('/v1/batch', countSegmentMessages, segmentBatch(pipeline));
  for (const call of SEGMENT_CALLS) endpoint(`/v1/${call}`, () => 1, segmentCall(pipeline, call));
  // analytics.js posts to one-letter paths, and fetches its settings from its CDN first.
  endpoint('/v1/b', countSegmentMessages, segmentBatch(pipeline));
  for (const [letter, call] of Object.entries(SEGMENT_SHORT_PATHS)) {
    endpoint(`/v1/${letter}`, () => 1, segmentCall(pipeline, call));
  }
  app.get('/v1/projects/:writeKey/settings', segmentSettings(deps.config));
  // RudderStack's browser SDK fetches its source config first; it sends the key as Basic auth.
  for (const path of ['/sourceConfig', '/sourceConfig/']) {
    app.options(path, preflight(deps.config));
    app.get(path, rudderstackSourceConfig(deps.config));
  }

  // Receipts are Pulse's own: no legacy routing, one unit of the rate limit.
  app.options('/v1/receipts', preflight(deps.config));
  app.post(
    '/v1/receipts',
    readBody(),
    authenticate(deps.config),
    requireAllowedOrigin(),
    rateLimit(deps.limiter, () => 1),
    receipts(deps.receipts),
  );

  // Decide reads (a GET): no body, no legacy routing, one unit of the rate limit.
  app.options('/v1/decide', preflight(deps.config));
  app.get(
    '/v1/decide',
    authenticate(deps.config),
    requireAllowedOrigin(),
    rateLimit(deps.limiter, () => 1),
    decide(deps.decide),
  );
  return app;
}
