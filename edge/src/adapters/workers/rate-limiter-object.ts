import { DurableObject } from 'cloudflare:workers';
import type { RateLimit } from '../../config/key-config';
import type { RateDecision } from '../../rate-limit/rate-limiter';
import { takeTokens, type BucketState } from '../../rate-limit/token-bucket';

/**
 * One customer's token bucket, shared by every isolate and location: a SQLite-backed Durable
 * Object addressed by `idFromName(customer_id)`. Requests to one object run one at a time, so
 * a take is atomic; the bucket is kept in SQLite so an evicted object resumes where it was.
 */
export class RateLimiterObject extends DurableObject<Env> {
  #bucket: BucketState | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      'CREATE TABLE IF NOT EXISTS bucket (id INTEGER PRIMARY KEY, tokens REAL NOT NULL, updated_ms REAL NOT NULL)',
    );
    const row = ctx.storage.sql
      .exec<{ tokens: number; updated_ms: number }>(
        'SELECT tokens, updated_ms FROM bucket WHERE id = 1',
      )
      .toArray()[0];
    this.#bucket = row ? { tokens: row.tokens, updatedMs: row.updated_ms } : undefined;
  }

  /**
   * Takes `cost` tokens (RPC from the edge worker) and, when that is granted, up to `extra`
   * more as a lease the isolate spends by itself (`leased`: how many it got; the bucket never
   * goes below empty).
   */
  take(limit: RateLimit, cost: number, extra = 0): RateDecision & { leased?: number } {
    const { state, decision } = takeTokens(this.#bucket, limit, cost, Date.now());
    const wanted = Number.isFinite(extra) ? Math.max(0, Math.floor(extra)) : 0;
    const leased = decision.ok ? Math.min(wanted, Math.floor(state.tokens)) : 0;
    state.tokens -= leased;
    this.#bucket = state;
    this.ctx.storage.sql.exec(
      'INSERT INTO bucket (id, tokens, updated_ms) VALUES (1, ?, ?) ' +
        'ON CONFLICT (id) DO UPDATE SET tokens = excluded.tokens, updated_ms = excluded.updated_ms',
      state.tokens,
      state.updatedMs,
    );
    return leased > 0 ? { ...decision, leased } : decision;
  }
}
