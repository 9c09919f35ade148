import type { RateLimit } from '../config/key-config';
import type { RateDecision } from './rate-limiter';

/** A bucket's state: tokens left as of `updatedMs`. */
export interface BucketState {
  tokens: number;
  updatedMs: number;
}

/**
 * One take from a token bucket, as a pure function so the in-process limiter and the Durable
 * Object share it. A new bucket starts full. Every event costs a token: a batch larger than
 * the burst can never fit and is answered `overBurst` (the edge says 413, and clients split
 * it), never let through (it used to be charged only the burst: a key of 1 event/s took a
 * 1,000-event batch). A refused take waits exactly until the bucket holds the cost, so the
 * Retry-After it gives is one the client can meet.
 */
export function takeTokens(
  state: BucketState | undefined,
  limit: RateLimit,
  cost: number,
  nowMs: number,
): { state: BucketState; decision: RateDecision } {
  const need = Math.max(cost, 1);
  if (need > limit.burst) {
    return {
      state: state ?? { tokens: limit.burst, updatedMs: nowMs },
      decision: { ok: false, overBurst: true },
    };
  }
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
