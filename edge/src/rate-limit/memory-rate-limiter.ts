import type { RateLimiter } from './rate-limiter';
import { takeTokens, type BucketState } from './token-bucket';

/** Options of {@link createMemoryRateLimiter}. */
export interface MemoryRateLimiterOptions {
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/** The Node edge's in-process limiter: one token bucket per customer in a Map. */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions = {}): RateLimiter {
  const { now = Date.now } = options;
  const buckets = new Map<string, BucketState>();
  return {
    take(customerId, limit, cost) {
      const result = takeTokens(buckets.get(customerId), limit, cost, now());
      buckets.set(customerId, result.state);
      return Promise.resolve(result.decision);
    },
  };
}
