import { GraphQLError } from 'graphql';

/**
 * `extensions.code` of every error the dashboard API answers with. Clients branch on the code,
 * never on the message; no error carries a stack trace.
 */
export const GRAPHQL_ERROR_CODES = {
  /** No `Authorization: Bearer sk_…`, or a key no customer has (HTTP 401). */
  unauthenticated: 'UNAUTHENTICATED',
  /** An argument out of bounds or malformed; `extensions.field` names it. */
  badUserInput: 'BAD_USER_INPUT',
  /** The query is deeper, wider or costlier than the limits (`query-limits.ts`). */
  queryTooComplex: 'QUERY_TOO_COMPLEX',
  /** The query text does not parse. */
  parseFailed: 'GRAPHQL_PARSE_FAILED',
  /** The query does not fit the schema (unknown field, wrong argument type…). */
  validationFailed: 'GRAPHQL_VALIDATION_FAILED',
  /** The warehouse could not answer; retry later. */
  unavailable: 'SERVICE_UNAVAILABLE',
  /** The customer has as many live subscriptions open as it may (HTTP 429); close one first. */
  tooManySubscriptions: 'TOO_MANY_SUBSCRIPTIONS',
  /** A bug; the message says no more than that (the server logs the cause). */
  internal: 'INTERNAL_SERVER_ERROR',
} as const;
export type GraphqlErrorCode = (typeof GRAPHQL_ERROR_CODES)[keyof typeof GRAPHQL_ERROR_CODES];

/** A GraphQL error with its code (and HTTP status, for the errors that end a request early). */
export function graphqlError(
  code: GraphqlErrorCode,
  message: string,
  extra: { field?: string; status?: number } = {},
): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code,
      ...(extra.field ? { field: extra.field } : {}),
      ...(extra.status ? { http: { status: extra.status } } : {}),
    },
  });
}

/** A refused argument: `field` is its path (`steps[2].eventType`). */
export const badUserInput = (field: string, message: string): GraphQLError =>
  graphqlError(GRAPHQL_ERROR_CODES.badUserInput, `${field}: ${message}`, { field });
