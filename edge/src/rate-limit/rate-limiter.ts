import type { RateLimit } from '../config/key-config';

/**
 * The answer of a rate limiter: go on; wait `retryAfterSeconds` (then the bucket holds the
 * request's cost); or never, because the cost is over the whole burst (`overBurst`): the
 * client must split the request.
 */
export type RateDecision =
  { ok: true } | { ok: false; retryAfterSeconds: number } | { ok: false; overBurst: true };

/**
 * A per-customer limiter: a token bucket of `limit.burst` events refilled at
 * `limit.per_second`. On Workers it is one Durable Object per customer (shared by every
 * isolate); on Node it lives in the process.
 */
export interface RateLimiter {
  /** Takes `cost` tokens (the request's event count) from the customer's bucket. */
  take(customerId: string, limit: RateLimit, cost: number): Promise<RateDecision>;
}
