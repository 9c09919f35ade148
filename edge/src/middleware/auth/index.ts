import type { MiddlewareHandler } from 'hono';
import { EdgeError } from '../../errors/edge-error';
import type { KeyConfigStore } from '../../config/key-config';
import type { EdgeEnv } from '../../deps';
import { readWriteKey } from './read-write-key';

/**
 * Resolves the write key to its config: 401 `missing_key` without one, 401 `invalid_key` for
 * a key the store does not know. After it, `c.var.keyConfig.customer_id` is the only source of
 * the customer: a `customer_id` in a body is never read.
 */
export function authenticate(config: KeyConfigStore): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const key = readWriteKey(c.req.raw, new URL(c.req.url), c.get('body'));
    const keyConfig = await config.get(key);
    if (!keyConfig) throw new EdgeError('invalid_key', 'write key is not valid');
    c.set('writeKey', key);
    c.set('keyConfig', keyConfig);
    await next();
  };
}
