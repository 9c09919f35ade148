import type { ErrorCode } from '@pulse/contract';

/**
 * A whole-request failure at the edge, as a value: a stable `code` from the contract and a
 * human `message` that says what was wrong with this request. The HTTP status is decided in
 * one place (`errors/respond.ts`), never here.
 *
 * @example
 * throw new EdgeError('payload_too_large', `body is over ${LIMITS.maxRequestBytes} bytes`);
 */
export class EdgeError extends Error {
  override readonly name = 'EdgeError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Seconds the client should wait before retrying (429 and 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** True for errors made by the edge on purpose (as opposed to bugs). */
export function isEdgeError(error: unknown): error is EdgeError {
  return error instanceof EdgeError;
}
