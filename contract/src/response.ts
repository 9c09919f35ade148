/** Stable codes for a rejected event or a failed request. */
export const ERROR_CODES = {
  invalidJson: 'invalid_json',
  invalidBatch: 'invalid_batch',
  invalidEvent: 'invalid_event',
  /** A bad query parameter (e.g. `visitor_id` of `GET /v1/decide`). */
  invalidRequest: 'invalid_request',
  eventTooLarge: 'event_too_large',
  payloadTooLarge: 'payload_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  missingKey: 'missing_key',
  invalidKey: 'invalid_key',
  originNotAllowed: 'origin_not_allowed',
  /** `GET /v1/decide` with a `user_hash` that does not prove its `user_id` (contract identity-proof). */
  invalidProof: 'invalid_proof',
  rateLimited: 'rate_limited',
  unavailable: 'unavailable',
  notFound: 'not_found',
  internal: 'internal',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** One event the edge refused, by its position in the request. Not to be retried. */
export interface RejectedEvent {
  index: number;
  event_id: string | null;
  code: ErrorCode;
  message: string;
}

/** `200` from the edge: every accepted event is durable. */
export interface IngestResponse {
  accepted: number;
  rejected: RejectedEvent[];
}

/** `POST /v1/receipts`: which of these event_ids, sent at unload, did the edge make durable? */
export interface ReceiptsRequest {
  event_ids: string[];
}

/** The ids of the request the edge holds a receipt for; the others should be sent again. */
export interface ReceiptsResponse {
  received: string[];
}

/** Every non-200 answer of the edge and backend. */
export interface ErrorResponse {
  error: { code: ErrorCode; message: string };
}
