import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ERROR_CODES, type ErrorCode, type ErrorResponse } from '@pulse/contract';
import { isEdgeError } from './edge-error';
import { jsonLog, type EdgeLog } from '../observe/edge-log';

/** The one mapping from error codes to HTTP statuses (docs/architecture.md, "Edge API"). */
const STATUS_BY_CODE: Record<ErrorCode, ContentfulStatusCode> = {
  invalid_json: 400,
  invalid_batch: 400,
  invalid_event: 400,
  invalid_request: 400,
  event_too_large: 413,
  payload_too_large: 413,
  unsupported_media_type: 415,
  missing_key: 401,
  invalid_key: 401,
  origin_not_allowed: 403,
  invalid_proof: 403,
  rate_limited: 429,
  unavailable: 503,
  not_found: 404,
  internal: 500,
};

/** The JSON error answer `{ error: { code, message } }`, with `Retry-After` when one is known. */
export function errorResponse(
  c: Context,
  code: ErrorCode,
  message: string,
  retryAfterSeconds?: number,
): Response {
  if (retryAfterSeconds !== undefined) c.header('Retry-After', String(retryAfterSeconds));
  const body: ErrorResponse = { error: { code, message } };
  return c.json(body, STATUS_BY_CODE[code]);
}

/**
 * `app.onError`: an EdgeError becomes its status and JSON body. Anything else is a bug: it is
 * logged with the request line and answered as a JSON 500, never as an HTML page or a reset.
 */
export function onError(error: Error, c: Context): Response {
  if (isEdgeError(error))
    return errorResponse(c, error.code, error.message, error.retryAfterSeconds);
  const log = (c.get('log') as EdgeLog | undefined) ?? jsonLog();
  log.error({ method: c.req.method, path: c.req.path, err: error }, 'edge bug');
  return errorResponse(c, ERROR_CODES.internal, 'internal error');
}

/** `app.notFound`: unknown paths and methods answer JSON too. */
export function notFound(c: Context): Response {
  return errorResponse(c, ERROR_CODES.notFound, `no endpoint ${c.req.method} ${c.req.path}`);
}
