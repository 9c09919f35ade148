import { z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { fieldIssues } from '@pulse/contract/schema';
import { ApiError } from '../../errors/api-error';
import { API_ERRORS, type ApiErrorCode } from '../../errors/api-error-codes';

/**
 * The error body of the Segment API, for its OpenAPI document: the backend's one error shape
 * (`errors/on-api-error.ts`), `{ "error": { "code", "message", "issues"? } }` (`issues`
 * names each refused field), with a code of the one table (`errors/api-error-codes.ts`).
 */
export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(API_ERRORS) as [ApiErrorCode, ...ApiErrorCode[]]),
      message: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');

/**
 * The OpenAPI routes' validation hook: input zod refused is 422 `invalid_segment` for a body,
 * 400 `invalid_request` for path and query parameters. The message lists the fields
 * (`rule.min_count: …`), `issues` each of them.
 */
export function validationFailed(target: string, error: z.ZodError): never {
  const issues = fieldIssues(error).map((issue) => ({
    path: issue.path || `(${target})`,
    message: issue.message,
  }));
  const message = issues
    .slice(0, 3)
    .map((issue) => `${issue.path}: ${issue.message}`)
    .join('; ');
  throw new ApiError(target === 'json' ? 'invalid_segment' : 'invalid_request', message, {
    issues,
  });
}

/**
 * 415 unless the body is declared JSON. Without it the validator would see no body at all
 * (and the route an unvalidated one).
 */
export const requireJsonBody: MiddlewareHandler = async (c, next) => {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([a-z.-]+\+)?json\b/i.test(type)) {
    throw new ApiError(
      'unsupported_media_type',
      'send the body as JSON with Content-Type: application/json',
    );
  }
  await next();
};
