import type { RateLimit } from '../config/key-config';

/** The answer of a rate limiter: go on, or wait `retryAfterSeconds`. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * A per-customer limiter: a token bucket of `limit.burst` events refilled at
 * `limit.per_second`. On Workers it is one Durable Object per customer (shared by every
 * isolate); on Node it lives in the process.
 */
export interface RateLimiter {
  /** Takes `cost` tokens (the request's event count) from the customer's bucket. */
  take(customerId: string, limit: RateLimit, cost: number): Promise<RateDecision>;
}
