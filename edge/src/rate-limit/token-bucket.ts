import type { RateLimit } from '../config/key-config';
import type { RateDecision } from './rate-limiter';

/** A bucket's state: tokens left as of `updatedMs`. */
export interface BucketState {
  tokens: number;
  updatedMs: number;
}

/**
 * One take from a token bucket, as a pure function so the in-process limiter and the Durable
 * Object share it. A new bucket starts full. The cost is capped at the burst: a batch larger
 * than the burst waits for a full bucket instead of being refused forever.
 */
export function takeTokens(
  state: BucketState | undefined,
  limit: RateLimit,
  cost: number,
  nowMs: number,
): { state: BucketState; decision: RateDecision } {
  const need = Math.min(Math.max(cost, 1), limit.burst);
  const elapsedSeconds = state ? Math.max(0, nowMs - state.updatedMs) / 1000 : 0;
  const tokens = state
    ? Math.min(limit.burst, state.tokens + elapsedSeconds * limit.per_second)
    : limit.burst;
  if (tokens >= need) {
    return { state: { tokens: tokens - need, updatedMs: nowMs }, decision: { ok: true } };
  }
  const retryAfterSeconds = Math.max(1, Math.ceil((need - tokens) / limit.per_second));
  return { state: { tokens, updatedMs: nowMs }, decision: { ok: false, retryAfterSeconds } };
}
