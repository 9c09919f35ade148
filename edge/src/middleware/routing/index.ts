import type { Context, MiddlewareHandler } from 'hono';
import { EdgeError } from '../../errors/edge-error';
import type { EdgeEnv } from '../../deps';
import type { KeyConfigStore } from '../../config/key-config';
import { rolloutMode } from '../../config/migration';
import type { LegacyAnswer, LegacyForwarder, LegacyRequest } from '../../sinks/legacy-forwarder';

/**
 * Headers the legacy pipeline gets with the original body. No address header is forwarded:
 * the raw IP never leaves the edge, for the legacy pipeline neither.
 */
const FORWARDED_HEADERS = [
  'content-type',
  'authorization',
  'x-pulse-key',
  'user-agent',
  'accept-language',
  'origin',
];

/** Statuses whose responses cannot carry a body. */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/** Header telling a shadow-mode client what the Pulse dual write did (its HTTP status). */
export const SHADOW_STATUS_HEADER = 'X-Pulse-Shadow-Status';

/**
 * Routes per customer (docs/architecture.md): `new` goes on to the Pulse pipeline; `legacy` only
 * forwards the request to the customer's legacy pipeline and answers what it answered; `shadow`
 * does both at once, the legacy answer stays the answer (it is still the primary), and the
 * Pulse result is reported in {@link SHADOW_STATUS_HEADER} for reconciliation. A legacy
 * pipeline that cannot be reached or fails with a 5xx gives a 503 with `Retry-After`, so the
 * client keeps its events; its 2xx and 4xx answers are passed through.
 */
export function routeByCustomer(
  config: KeyConfigStore,
  legacy: LegacyForwarder,
  retryAfterSeconds: number,
): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const key = c.get('keyConfig');
    const { legacy_url } = key;
    // A `rollout` key goes where the deployment's migration stage puts its customer now.
    const routing =
      key.routing === 'rollout'
        ? rolloutMode(await config.migration(), key.customer_id)
        : key.routing;
    if (routing === 'new' || legacy_url === undefined) return next();

    const forwarded = legacy.forward(legacyRequest(c, legacy_url));
    if (routing === 'legacy') return legacyResponse(await forwarded, retryAfterSeconds);

    await next();
    const response = legacyResponse(await forwarded, retryAfterSeconds);
    response.headers.set(SHADOW_STATUS_HEADER, String(c.res.status));
    // Drop the Pulse answer and its headers (Hono would merge them): legacy's replaces it whole.
    c.res = undefined;
    c.res = response;
  };
}

function legacyRequest(c: Context<EdgeEnv>, baseUrl: string): LegacyRequest {
  const url = new URL(c.req.url);
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = c.req.header(name);
    if (value !== undefined) headers[name] = value;
  }
  return { baseUrl, pathAndQuery: url.pathname + url.search, body: c.get('rawBody'), headers };
}

function legacyResponse(answer: LegacyAnswer, retryAfterSeconds: number): Response {
  if (!answer.ok || answer.status >= 500) {
    const reason = answer.ok ? `legacy pipeline answered ${answer.status}` : answer.message;
    throw new EdgeError('unavailable', reason, retryAfterSeconds);
  }
  const headers = new Headers();
  if (answer.contentType) headers.set('content-type', answer.contentType);
  return new Response(NULL_BODY_STATUSES.has(answer.status) ? null : answer.body, {
    status: answer.status,
    headers,
  });
}
