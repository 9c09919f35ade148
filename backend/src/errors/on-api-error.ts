import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { isWarehouseError } from '../warehouse/warehouse-error';
import { ApiError, isApiError, type FieldIssue } from './api-error';
import { failureKind } from './failure-kind';

/** The JSON error answer of every REST API of the backend. */
export interface ApiErrorBody {
  error: { code: string; message: string; issues?: FieldIssue[] };
}

/** Seconds a client is told to wait when a store or the warehouse is out of reach. */
const OUTAGE_RETRY_AFTER_SECONDS = 5;

/**
 * What a thrown error means for the client: an ApiError as it is; hono's refusals (a body
 * that is not JSON, or over its limit) by their code; a store or the warehouse out of reach
 * is an outage, `unavailable` + Retry-After, not a bug; anything else is `internal`.
 */
export function toApiError(error: unknown): ApiError {
  if (isApiError(error)) return error;
  if (error instanceof HTTPException && error.status === 400) {
    return new ApiError('invalid_json', 'body is not valid JSON');
  }
  if (error instanceof HTTPException && error.status === 413) {
    return new ApiError('payload_too_large', error.message || 'body is over its limit');
  }
  if (
    (isWarehouseError(error) && error.code === 'unavailable') ||
    failureKind(error) === 'transient'
  ) {
    return new ApiError('unavailable', 'a store or the warehouse is unavailable; retry later', {
      retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS,
      cause: error,
    });
  }
  return new ApiError('internal', 'internal error', { cause: error });
}

/** Answers an ApiError: its status, `{ error: { code, message, issues? } }` and its headers. */
export function respondWithApiError(c: Context, error: ApiError): Response {
  if (error.retryAfterSeconds !== undefined) {
    c.header('Retry-After', String(error.retryAfterSeconds));
  }
  // RFC 9110: a 401 names the scheme that would be accepted.
  if (error.status === 401 && error.code !== 'invalid_signature') {
    c.header('WWW-Authenticate', 'Bearer realm="pulse"');
  }
  const body: ApiErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.issues ? { issues: error.issues } : {}),
    },
  };
  return c.json(body, error.status);
}

/**
 * The one `onError` of the backend's REST apps (ingest, the Segment API, triggers, decide):
 * every thrown error becomes its answer, and what failed on the server's side (5xx) is logged
 * with its cause and the request line. No stack or SQL ever goes out.
 */
export function onApiError(log: (what: string, error: unknown) => void): ErrorHandler {
  return (error, c) => {
    const answer = toApiError(error);
    if (answer.status >= 500) log(`${c.req.method} ${c.req.path} failed: ${answer.code}`, error);
    return respondWithApiError(c, answer);
  };
}
