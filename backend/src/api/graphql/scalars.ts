import { GraphQLScalarType, Kind } from 'graphql';
import { graphqlError } from './graphql-errors';

// A date and a time with seconds and a zone: what `Date.parse` reads the same everywhere.
const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

const invalidInstant = (value: unknown) =>
  graphqlError(
    'invalid_request',
    `DateTime must be an ISO 8601 instant with a zone, like 2025-01-21T10:30:00.000Z; got ${JSON.stringify(value)}`,
  );

/** Reads an ISO instant into epoch ms; anything else is a BAD_USER_INPUT error. */
function parseInstant(value: unknown): number {
  if (typeof value != 'string' || !ISO_INSTANT.test(value)) throw invalidInstant(value);
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw invalidInstant(value);
  return ms;
}

/** Instants: ISO 8601 strings on the wire, epoch ms inside resolvers. */
export const DateTimeScalar = new GraphQLScalarType<number, string>({
  name: 'DateTime',
  serialize(value) {
    const ms = typeof value == 'string' ? Date.parse(value) : Number(value);
    return new Date(ms).toISOString();
  },
  parseValue: parseInstant,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw invalidInstant(ast.kind);
    return parseInstant(ast.value);
  },
});

/** A JSON object, passed through as is (output only: event properties). */
export const JsonObjectScalar = new GraphQLScalarType<Record<string, unknown>, object>({
  name: 'JSONObject',
  serialize(value) {
    return typeof value == 'object' && value !== null && !Array.isArray(value) ? value : {};
  },
  parseValue() {
    throw graphqlError('invalid_request', 'JSONObject is not an input');
  },
  parseLiteral() {
    throw graphqlError('invalid_request', 'JSONObject is not an input');
  },
});
