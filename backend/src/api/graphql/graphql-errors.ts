import { GraphQLError } from 'graphql';
import { API_ERRORS, type GraphqlApiErrorCode } from '../../errors/api-error-codes';

/**
 * Every error the dashboard API answers with has `extensions.code`, the GraphQL name of a
 * code of the backend's one error table (`errors/api-error-codes.ts`): `invalid_request` is
 * BAD_USER_INPUT, `unavailable` SERVICE_UNAVAILABLE, and so on. Clients branch on the code,
 * never on the message; no error carries a stack trace.
 */
export const graphqlCodeOf = (code: GraphqlApiErrorCode): string => API_ERRORS[code].graphql;

/**
 * A GraphQL error with its code. `http` adds the table's HTTP status, for the errors that end
 * a request early (a refused document, an outage, a budget); an argument refused inside a
 * resolver leaves the status to GraphQL over HTTP (200 with `errors`).
 */
export function graphqlError(
  code: GraphqlApiErrorCode,
  message: string,
  extra: { field?: string; http?: boolean } = {},
): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: graphqlCodeOf(code),
      ...(extra.field ? { field: extra.field } : {}),
      ...(extra.http ? { http: { status: API_ERRORS[code].status } } : {}),
    },
  });
}

/** A refused argument: `field` is its path (`steps[2].eventType`). */
export const badUserInput = (field: string, message: string): GraphQLError =>
  graphqlError('invalid_request', `${field}: ${message}`, { field });
