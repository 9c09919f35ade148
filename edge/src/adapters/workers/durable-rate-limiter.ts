import type { RateLimiter } from '../../rate-limit/rate-limiter';
import type { RateLimiterObject } from './rate-limiter-object';
import { jsonLog, type EdgeLog } from '../../observe/edge-log';

/**
 * The Workers limiter: asks the customer's {@link RateLimiterObject}. If the object cannot be
 * reached the request goes through (fails open, logged): the limiter protects capacity, and
 * refusing every customer's events during a Durable Object outage would do more harm.
 */
export function createDurableRateLimiter(
  namespace: DurableObjectNamespace<RateLimiterObject>,
  log: EdgeLog = jsonLog(),
): RateLimiter {
  return {
    async take(customerId, limit, cost) {
      try {
        return await namespace.get(namespace.idFromName(customerId)).take(limit, cost);
      } catch (error) {
        const fields = { customer: customerId, err: error };
        log.error(fields, 'edge: rate limiter unreachable, letting through');
        return { ok: true };
      }
    },
  };
}
