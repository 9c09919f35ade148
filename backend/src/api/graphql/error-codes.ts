import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { statusOf, type GraphqlApiErrorCode } from '../../errors/api-error-codes';
import { toApiError } from '../../errors/on-api-error';
import { graphqlCodeOf, graphqlError } from './graphql-errors';

/**
 * A GraphQL error by name, not `instanceof`: graphql 16 ships CJS and ESM builds without an
 * `exports` map, so a bundler (vitest) and Node can load one each, and an error from one is
 * no instance of the other's class.
 */
const isGraphQLError = (error: unknown): error is GraphQLError =>
  error instanceof Error && error.name === 'GraphQLError';

/** A GraphQL error made on purpose (by us or graphql-js), not one wrapping an exception. */
const isOriginalGraphQLError = (error: unknown): error is GraphQLError =>
  isGraphQLError(error) &&
  (error.originalError == null || isOriginalGraphQLError(error.originalError));

/** The same error with `code` (and its HTTP status) added, unless it has a code already. */
function withCode(error: GraphQLError, code: GraphqlApiErrorCode, http = false): GraphQLError {
  if (error.extensions?.['code']) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: {
      ...error.extensions,
      code: graphqlCodeOf(code),
      ...(http ? { http: { status: statusOf(code) } } : {}),
    },
  });
}

/**
 * Gives parse and validation errors their codes (graphql-js leaves them without one), so
 * every error a client sees has `extensions.code`.
 */
export function useErrorCodes(): Plugin {
  return {
    onParse() {
      return ({ result, replaceParseResult }) => {
        if (isGraphQLError(result)) {
          replaceParseResult(withCode(result, 'graphql_parse_failed', true));
        }
      };
    },
    onValidate() {
      return ({ result, setResult }) => {
        if (result.length === 0) return;
        setResult(result.map((error) => withCode(error, 'graphql_validation_failed')));
      };
    },
  };
}

/**
 * yoga's `maskError`: our own GraphQL errors (with a code) go out as they are; a GraphQL error
 * without one (a variable of the wrong type) becomes BAD_USER_INPUT; a warehouse outage is
 * SERVICE_UNAVAILABLE; anything else is a bug, INTERNAL_SERVER_ERROR with no detail (yoga
 * logs the cause). No stack, no SQL, no original message of an unexpected error goes out.
 */
export function maskDashboardError(error: unknown): Error {
  if (isOriginalGraphQLError(error)) {
    // Coded in place: yoga logs every error maskError replaces, and these are the client's.
    const extensions = error.extensions as Record<string, unknown>;
    extensions['code'] ??= graphqlCodeOf('invalid_request');
    return error;
  }
  const cause = isGraphQLError(error) ? error.originalError : error;
  // Classified as the REST APIs classify it: an outage is not a bug.
  if (toApiError(cause).code === 'unavailable') {
    return graphqlError('unavailable', 'the warehouse is unavailable; retry', { http: true });
  }
  return graphqlError('internal', 'Unexpected error.');
}
