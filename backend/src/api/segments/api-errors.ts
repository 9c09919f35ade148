import { z } from '@hono/zod-openapi';
import type { Context, ErrorHandler, MiddlewareHandler } from 'hono';
import { failureKind } from '../../errors/failure-kind';
import { HTTPException } from 'hono/http-exception';
import { fieldIssues } from '@pulse/contract/schema';
import { isWarehouseError } from '../../warehouse/warehouse-error';

/**
 * Error codes of the Segment API. Every error answer is
 * `{ "error": { "code", "message", "issues"? } }` (`issues` names each refused field).
 */
export const SEGMENT_API_ERRORS = {
  /** 400: the body is not JSON. */
  invalidJson: 'invalid_json',
  /** 415: a body without `Content-Type: application/json`. */
  unsupportedMediaType: 'unsupported_media_type',
  /** 400: a bad path or query parameter (`id`, `cursor`, `limit`). */
  invalidRequest: 'invalid_request',
  /** 422: the segment definition breaks a rule; `issues` says which fields. */
  invalidSegment: 'invalid_segment',
  /** 401: no `Authorization: Bearer sk_…`. */
  missingKey: 'missing_key',
  /** 401: a key no customer has. */
  invalidKey: 'invalid_key',
  /** 404: no such segment or profile for this key's customer. */
  notFound: 'not_found',
  /** 409: `POST /v1/segments` with an id the customer already has. */
  segmentExists: 'segment_exists',
  /** 409: `POST /v1/segments` when the customer has MAX_SEGMENTS_PER_CUSTOMER already. */
  segmentLimit: 'segment_limit',
  /** 503: the warehouse or the state store failed; retry later. */
  unavailable: 'unavailable',
  /** 500: a bug; the message says no more than that. */
  internal: 'internal',
} as const;
export type SegmentApiError = (typeof SEGMENT_API_ERRORS)[keyof typeof SEGMENT_API_ERRORS];

/** The error body, for the OpenAPI document. */
export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.values(SEGMENT_API_ERRORS) as [SegmentApiError, ...SegmentApiError[]]),
      message: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');

export type ErrorBody = z.infer<typeof errorResponseSchema>;

/** `{ error: { code, message } }` with the status; `issues` when fields were refused. */
export function errorBody(
  code: SegmentApiError,
  message: string,
  issues?: Array<{ path: string; message: string }>,
): ErrorBody {
  return { error: { code, message, ...(issues ? { issues } : {}) } };
}

/**
 * The answer to input zod refused: 422 `invalid_segment` for a body, 400 `invalid_request` for
 * path and query parameters. The message lists the fields (`rule.min_count: …`).
 */
export function validationFailed(c: Context, target: string, error: z.ZodError): Response {
  const issues = fieldIssues(error).map((issue) => ({
    path: issue.path || `(${target})`,
    message: issue.message,
  }));
  const message = issues
    .slice(0, 3)
    .map((issue) => `${issue.path}: ${issue.message}`)
    .join('; ');
  return target === 'json'
    ? c.json(errorBody('invalid_segment', message, issues), 422)
    : c.json(errorBody('invalid_request', message, issues), 400);
}

/**
 * Errors no route answered: a body that is not JSON (400), a warehouse that failed (503), and
 * anything else (500, logged, with no stack in the answer).
 */
export const onSegmentApiError: ErrorHandler = (error, c) => {
  if (error instanceof HTTPException && error.status === 400) {
    return c.json(errorBody('invalid_json', 'body is not valid JSON'), 400);
  }
  if (isWarehouseError(error) && error.code === 'unavailable') {
    c.header('Retry-After', '5');
    return c.json(errorBody('unavailable', 'the warehouse is unavailable; retry later'), 503);
  }
  if (failureKind(error) === 'transient') {
    c.header('Retry-After', '5');
    return c.json(errorBody('unavailable', 'the state store is unavailable; retry later'), 503);
  }
  console.error('segment api failed', error);
  return c.json(errorBody('internal', 'internal error'), 500);
};

/**
 * 415 unless the body is declared JSON. Without it the validator would see no body at all
 * (and the route an unvalidated one).
 */
export const requireJsonBody: MiddlewareHandler = async (c, next) => {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([a-z.-]+\+)?json\b/i.test(type)) {
    return c.json(
      errorBody(
        'unsupported_media_type',
        'send the body as JSON with Content-Type: application/json',
      ),
      415,
    );
  }
  await next();
};
