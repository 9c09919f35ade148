import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * The one table of the backend's API errors: each stable `code` with its HTTP status, and the
 * `extensions.code` GraphQL answers it with (GraphQL keeps the names GraphQL clients know).
 * REST answers are `{ "error": { "code", "message", "issues"? } }` (`ApiError`, one `onError`);
 * GraphQL errors take their code and status from here too (`api/graphql/graphql-errors.ts`).
 */
export const API_ERRORS = {
  /** The body is not JSON. */
  invalid_json: { status: 400, graphql: 'BAD_USER_INPUT' },
  /** A bad path or query parameter (`id`, `cursor`, `limit`), or a GraphQL argument. */
  invalid_request: { status: 400, graphql: 'BAD_USER_INPUT' },
  /** A signed batch from the edge that is not a SinkBatch (ingest). */
  invalid_batch: { status: 400 },
  /** A segment definition that breaks a rule; `issues` names the fields. */
  invalid_segment: { status: 422 },
  /** A trigger that breaks a rule. */
  invalid_trigger: { status: 400 },
  /** A trigger on a segment the customer does not have. */
  unknown_segment: { status: 400 },
  /** The `limit` of a delivery log page is not 1..1000. */
  invalid_limit: { status: 400 },
  /** A body without `Content-Type: application/json`. */
  unsupported_media_type: { status: 415 },
  /** A body over the limit of its route. */
  payload_too_large: { status: 413 },
  /** No `Authorization: Bearer sk_…`. */
  missing_key: { status: 401, graphql: 'UNAUTHENTICATED' },
  /** A secret key no customer has. */
  invalid_key: { status: 401, graphql: 'UNAUTHENTICATED' },
  /** An internal call (ingest, decide) without the edge's valid signature. */
  invalid_signature: { status: 401 },
  /** The legacy pipeline's counts could not be read, or are not of the agreed shape (parity). */
  legacy_unavailable: { status: 502 },
  /** No such route, or nothing of this key's customer by that id. */
  not_found: { status: 404 },
  /** `POST /v1/segments` with an id the customer already has. */
  segment_exists: { status: 409 },
  /** The customer has as many segments as it may. */
  segment_limit: { status: 409 },
  /** `POST /v1/triggers` with an id the customer already has. */
  trigger_exists: { status: 409 },
  /** The customer has as many triggers as it may. */
  too_many_triggers: { status: 400 },
  /** The customer has as many live subscriptions open as it may. */
  too_many_subscriptions: { status: 429, graphql: 'TOO_MANY_SUBSCRIPTIONS' },
  /** A GraphQL document deeper, wider or costlier than the limits. */
  query_too_complex: { status: 400, graphql: 'QUERY_TOO_COMPLEX' },
  /** A GraphQL document that does not parse. */
  graphql_parse_failed: { status: 400, graphql: 'GRAPHQL_PARSE_FAILED' },
  /** A GraphQL document that does not fit the schema. */
  graphql_validation_failed: { status: 400, graphql: 'GRAPHQL_VALIDATION_FAILED' },
  /** A store, the warehouse or the broker could not answer; retry after `Retry-After`. */
  unavailable: { status: 503, graphql: 'SERVICE_UNAVAILABLE' },
  /** A bug; the message says no more than that (the server logs the cause). */
  internal: { status: 500, graphql: 'INTERNAL_SERVER_ERROR' },
} as const satisfies Record<string, { status: ContentfulStatusCode; graphql?: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** The codes of the table that GraphQL answers with (those with a `graphql` name). */
export type GraphqlApiErrorCode = {
  [K in ApiErrorCode]: (typeof API_ERRORS)[K] extends { graphql: string } ? K : never;
}[ApiErrorCode];

/** The HTTP status of a code. */
export const statusOf = (code: ApiErrorCode): ContentfulStatusCode => API_ERRORS[code].status;
