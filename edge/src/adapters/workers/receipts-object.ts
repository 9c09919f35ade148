import { DurableObject } from 'cloudflare:workers';

/**
 * One customer's unload receipts, shared by every isolate and location: a SQLite-backed
 * Durable Object addressed by `idFromName(customer_id)`. Expired rows are deleted as new ones
 * arrive, so the table holds about an hour of unload batches.
 */
export class ReceiptsObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      'CREATE TABLE IF NOT EXISTS receipt (id TEXT PRIMARY KEY, expires_ms REAL NOT NULL)',
    );
  }

  /** Keeps receipts of `ids` until `expiresMs` (RPC from the edge worker). */
  remember(ids: string[], expiresMs: number): void {
    const sql = this.ctx.storage.sql;
    sql.exec('DELETE FROM receipt WHERE expires_ms < ?', Date.now());
    for (const id of ids) {
      sql.exec(
        'INSERT INTO receipt (id, expires_ms) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET expires_ms = excluded.expires_ms',
        id,
        expiresMs,
      );
    }
  }

  /** The subset of `ids` with an unexpired receipt. */
  known(ids: string[]): string[] {
    const now = Date.now();
    return ids.filter(
      (id) =>
        this.ctx.storage.sql
          .exec<{ n: number }>(
            'SELECT COUNT(*) AS n FROM receipt WHERE id = ? AND expires_ms >= ?',
            id,
            now,
          )
          .one().n > 0,
    );
  }
}
