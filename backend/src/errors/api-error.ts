import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { statusOf, type ApiErrorCode } from './api-error-codes';

/** A refused field: its path (`rule.min_count`) and why. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** What an ApiError may add to its code and message. */
export interface ApiErrorOptions {
  /** Each refused field (validation errors). */
  issues?: FieldIssue[];
  /** Seconds the client should wait before retrying (503). */
  retryAfterSeconds?: number;
  /** What caused it, for the log; never sent. */
  cause?: unknown;
}

/**
 * A failed API request, as a value: a stable `code` from the one table (`api-error-codes.ts`),
 * the `status` that table gives it, and a human `message` about this request. Routes throw it;
 * the one `onApiError` answers `{ "error": { "code", "message", "issues"? } }`.
 *
 * @example
 * throw new ApiError('not_found', `no segment ${id}`);
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: ContentfulStatusCode;
  readonly issues?: FieldIssue[];
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = statusOf(code);
    if (options.issues) this.issues = options.issues;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** True for errors made by the APIs on purpose (as opposed to bugs and outages). */
export const isApiError = (error: unknown): error is ApiError => error instanceof ApiError;
