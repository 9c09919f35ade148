import { EnvelopArmor } from '@escape.tech/graphql-armor';
import type { GraphQLError, ValidationContext } from 'graphql';
import { graphqlError } from './graphql-errors';

/**
 * How big a query may be. Every root field is a warehouse query, so aliases (the only way to
 * ask one field many times) are few; depth and cost stop nested and wide selections; tokens
 * stop huge documents before they are parsed. The dashboard's overview query (five panels)
 * costs about 30 and is 2 deep;
 * a query of every field of every root field costs about 70.
 */
export const QUERY_LIMITS = {
  maxDepth: 5,
  maxCost: 150,
  maxAliases: 8,
  maxTokens: 2000,
  maxDirectives: 10,
} as const;

/** Refusals become QUERY_TOO_COMPLEX errors (HTTP 400) that state the limit. */
const refuse = (context: ValidationContext | null, error: GraphQLError) => {
  const refused = graphqlError(
    'query_too_complex',
    error.message.replace(/^Syntax Error: /, 'Query refused: '),
    { http: true },
  );
  // Validation rules report and let validation finish; the token limit runs inside the
  // parser, which has no context to report to, so it stops the parse.
  if (context) context.reportError(refused);
  else throw refused;
};

const callbacks = { propagateOnRejection: false, onReject: [refuse] };

/** graphql-armor's envelop plugins with QUERY_LIMITS; field suggestions are blocked too. */
export function queryLimitPlugins() {
  return new EnvelopArmor({
    maxDepth: { n: QUERY_LIMITS.maxDepth, ...callbacks },
    costLimit: { maxCost: QUERY_LIMITS.maxCost, ...callbacks },
    maxAliases: { n: QUERY_LIMITS.maxAliases, ...callbacks },
    maxTokens: { n: QUERY_LIMITS.maxTokens, ...callbacks },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives, ...callbacks },
    blockFieldSuggestion: { enabled: true },
  }).protect().plugins;
}
