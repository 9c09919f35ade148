import type { MiddlewareHandler } from 'hono';
import { EdgeError } from '../../errors/edge-error';
import type { RateLimiter } from '../../rate-limit/rate-limiter';
import type { EdgeEnv } from '../../deps';

/**
 * 429 `rate_limited` with `Retry-After` once a customer's token bucket is empty. A request
 * costs its number of events (`countEvents` of the parsed body), so the limit is in events
 * per second whatever the batching; burst plus the SDK's back-off absorb a spike without loss.
 * A request of more events than the burst can never pass: 413 `payload_too_large` naming the
 * largest request that can, which the SDK (and Segment's libraries) answer by sending less.
 */
export function rateLimit(
  limiter: RateLimiter,
  countEvents: (body: unknown) => number,
): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const { customer_id, rate } = c.get('keyConfig');
    const cost = countEvents(c.get('body'));
    const decision = await limiter.take(customer_id, rate, cost);
    if (!decision.ok && 'overBurst' in decision) {
      throw new EdgeError(
        'payload_too_large',
        `a request of ${cost} events is over customer ${customer_id}'s burst of ${rate.burst} events: send at most ${rate.burst} events per request`,
      );
    }
    if (!decision.ok) {
      throw new EdgeError(
        'rate_limited',
        `customer ${customer_id} is over its rate limit of ${rate.per_second} events/s`,
        decision.retryAfterSeconds,
      );
    }
    await next();
  };
}
