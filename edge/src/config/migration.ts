import { z } from 'zod';
import type { RoutingMode } from './key-config';

/**
 * The deployment's stage of the migration from the legacy pipeline, for every key whose
 * routing is `rollout` (docs/architecture.md, "Routing per customer"): kept in the key config
 * store under {@link MIGRATION_ENTRY}, so that moving every rollout customer is one change.
 *
 * - `percent`: the share of rollout customers on Pulse alone (`new`), by a stable hash of the
 *   customer id, so raising it (10 → 25 → 50 → 100) only ever adds customers; the rest run in
 *   `shadow` (the legacy pipeline stays primary, Pulse gets a copy for the parity report).
 * - `rollback`: the one-click rollback. While true, every rollout customer is back in
 *   `shadow`, whatever `percent` says; clearing it restores the rollout as it was.
 *
 * Without the entry, rollout customers run in `shadow`: nothing moves before someone says so.
 */
export interface MigrationStage {
  percent: number;
  rollback: boolean;
}

/** Where the stage lives in a key config store; no write key starts with `$`. */
export const MIGRATION_ENTRY = '$migration';

export const NO_MIGRATION: MigrationStage = { percent: 0, rollback: false };

const migrationSchema = z.object({
  percent: z.number().int().min(0).max(100),
  rollback: z.boolean().default(false),
});

/** Checks a stored stage; an operator's typo must not pass for a working rollout. */
export function parseMigrationStage(
  value: unknown,
): { ok: true; stage: MigrationStage } | { ok: false; message: string } {
  const result = migrationSchema.safeParse(value);
  if (result.success) return { ok: true, stage: result.data };
  const reason = result.error.issues
    .map((issue) => `${issue.path.join('.') || '(stage)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, message: reason };
}

/**
 * The customer's place in the rollout, 0–99: FNV-1a of its id, mod 100. The same on every
 * edge (Workers and Node), every request and every release, so a customer never flaps.
 */
export function rolloutBucket(customerId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < customerId.length; i++) {
    hash ^= customerId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 100;
}

/** Where a rollout customer's traffic goes at this stage. */
export function rolloutMode(
  stage: MigrationStage,
  customerId: string,
): Exclude<RoutingMode, 'rollout'> {
  if (stage.rollback) return 'shadow';
  return rolloutBucket(customerId) < stage.percent ? 'new' : 'shadow';
}
