import type { MiddlewareHandler } from 'hono';
import { secretKeyOf, type SecretKeys } from '../secret-keys';
import { statusOf } from '../../errors/api-error-codes';
import { graphqlCodeOf } from './graphql-errors';

/** Hono variables the guard sets for the GraphQL handler. */
export type CustomerVariables = { customerId: string };

/**
 * The guard in front of `/graphql`: the customer is the one of the secret key
 * (`Authorization: Bearer sk_…`), the only way a request names a customer. Without a known
 * key the answer is 401 with a GraphQL error body (code UNAUTHENTICATED), before any parse.
 */
export function requireCustomer(
  keys: SecretKeys,
): MiddlewareHandler<{ Variables: CustomerVariables }> {
  return async (c, next) => {
    const key = secretKeyOf(c.req.header('authorization'));
    const customerId = key ? keys.customerFor(key) : null;
    if (!customerId) {
      const code = key ? 'invalid_key' : 'missing_key';
      const message = key
        ? 'unknown secret key'
        : 'missing secret key: send Authorization: Bearer sk_…';
      c.header('WWW-Authenticate', 'Bearer realm="pulse"');
      return c.json(
        { errors: [{ message, extensions: { code: graphqlCodeOf(code) } }] },
        statusOf(code),
      );
    }
    c.set('customerId', customerId);
    await next();
  };
}
