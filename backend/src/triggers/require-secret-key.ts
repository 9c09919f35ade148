import type { MiddlewareHandler } from 'hono';
import { secretKeyOf, type SecretKeys } from '../api/secret-keys';
import { ApiError } from '../errors/api-error';

/** Hono variables set by {@link requireSecretKey}. */
export interface CustomerVariables {
  /** The customer of the request's secret key: the only tenant it may touch. */
  customer: string;
}

/**
 * `Authorization: Bearer sk_…` (or Basic `sk_…:`) → the key's customer, in `c.var.customer`;
 * 401 `missing_key` / `invalid_key` otherwise. The tenant never comes from the request.
 */
export function requireSecretKey(
  keys: SecretKeys,
): MiddlewareHandler<{ Variables: CustomerVariables }> {
  return async (c, next) => {
    const key = secretKeyOf(c.req.header('authorization'));
    if (!key) throw new ApiError('missing_key', 'send Authorization: Bearer sk_…');
    const customer = keys.customerFor(key);
    if (!customer) throw new ApiError('invalid_key', 'secret key is not valid');
    c.set('customer', customer);
    await next();
  };
}
