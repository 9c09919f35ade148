import type { MiddlewareHandler } from 'hono';
import { EdgeError } from '../../errors/edge-error';
import type { KeyConfigStore } from '../../config/key-config';
import type { EdgeEnv } from '../../deps';
import { originAllowed } from './origin-allowed';

const ALLOWED_METHODS = 'GET, POST, OPTIONS';
/**
 * Beside our own: X-Retry-Count (analytics.js, on retries), AnonymousId and the RSA-* retry
 * headers (RudderStack's browser SDK), so their libraries pass the preflight unchanged.
 */
const ALLOWED_HEADERS = [
  'Content-Type, Content-Encoding, Authorization, X-Pulse-Key',
  'X-Retry-Count',
  'AnonymousId, SentAt, RSA-Retry-Attempt, RSA-Retry-Reason, RSA-Since-First-Attempt, RSA-Since-Last-Attempt, RSA-Recovered',
].join(', ');
const PREFLIGHT_MAX_AGE_SECONDS = '86400';

/**
 * Lets browsers read every answer of the edge, errors included, so the SDK can tell a 401 or
 * 403 (stop) from a 429 (wait `Retry-After`, which is exposed for that). Reflecting the origin
 * grants reading only: the per-key allow-list is enforced on writes by
 * {@link requireAllowedOrigin}. The edge uses no cookies, so credentials are never allowed.
 */
export function exposeToOrigin(): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    await next();
    const origin = c.req.header('origin');
    if (!origin) return;
    c.res.headers.set('Access-Control-Allow-Origin', origin);
    c.res.headers.set('Access-Control-Expose-Headers', 'Retry-After');
    c.res.headers.append('Vary', 'Origin');
  };
}

/**
 * Answers a CORS preflight. With `?key=` the key's allow-list is applied already (403
 * `origin_not_allowed`); without it the preflight passes and the real request is checked.
 * The SDK needs no preflight at all: it posts `text/plain`, a simple request.
 */
export function preflight(config: KeyConfigStore): MiddlewareHandler<EdgeEnv> {
  return async (c) => {
    const origin = c.req.header('origin');
    const key = c.req.query('key');
    if (origin && key) {
      const keyConfig = await config.get(key);
      if (keyConfig && !originAllowed(keyConfig.allowed_origins, origin)) {
        throw new EdgeError('origin_not_allowed', `origin ${origin} may not send with this key`);
      }
    }
    return c.body(null, 204, {
      'Access-Control-Allow-Methods': ALLOWED_METHODS,
      'Access-Control-Allow-Headers': ALLOWED_HEADERS,
      'Access-Control-Max-Age': PREFLIGHT_MAX_AGE_SECONDS,
    });
  };
}

/** 403 `origin_not_allowed` when a browser origin is not on the key's allow-list. */
export function requireAllowedOrigin(): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && !originAllowed(c.get('keyConfig').allowed_origins, origin)) {
      throw new EdgeError('origin_not_allowed', `origin ${origin} may not send with this key`);
    }
    await next();
  };
}
