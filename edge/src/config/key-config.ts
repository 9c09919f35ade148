import { CUSTOMER_ID_PATTERN } from '@pulse/contract';
import { z } from 'zod';
import type { MigrationStage } from './migration';

/** How a customer's traffic flows (docs/architecture.md, "Routing per customer"). */
export const ROUTING_MODES = ['new', 'shadow', 'legacy', 'rollout'] as const;
export type RoutingMode = (typeof ROUTING_MODES)[number];

/** Token bucket of one customer: `per_second` events refill it, up to `burst` events. */
export interface RateLimit {
  per_second: number;
  burst: number;
}

/**
 * What a write key means. Stored as JSON under the key (Workers KV, or a file/env on Node);
 * `customer_id` always comes from here, never from a request body.
 */
export interface KeyConfig {
  customer_id: string;
  /**
   * Browser origins allowed to send with this key: exact origins (`https://shop.example`),
   * `https://*.example.com` for subdomains, or `*` for any. Requests without `Origin`
   * (servers, Segment server libraries) are not restricted.
   */
  allowed_origins: string[];
  rate: RateLimit;
  /**
   * `new` (Pulse only), `shadow` (legacy primary, Pulse a copy), `legacy` (forward only), or
   * `rollout`: `new` or `shadow` as the deployment's migration stage says (config/migration.ts).
   */
  routing: RoutingMode;
  /** Base URL of the legacy pipeline; the request path is appended. Required unless `new`. */
  legacy_url?: string;
  /**
   * The customer's identity-verification secret (at least 16 characters): decide answers about
   * an identified user only for a `user_hash` made with it (contract identity-proof.ts). Kept
   * with the key config on the edge and on the customer's server, never in a page. Without
   * it, decide answers about anonymous visitors only.
   */
  identity_secret?: string;
}

const keyConfigSchema = z
  .object({
    // Customer ids reach state keys and Kafka keys: no glob or separator characters.
    customer_id: z
      .string()
      .regex(CUSTOMER_ID_PATTERN, 'customer_id must be 1-64 letters, digits, "_" or "-"'),
    allowed_origins: z.array(z.string().min(1)),
    rate: z.object({ per_second: z.number().positive(), burst: z.number().min(1) }),
    routing: z.enum(ROUTING_MODES),
    legacy_url: z.url({ protocol: /^https?$/ }).optional(),
    identity_secret: z.string().min(16).optional(),
  })
  .refine((config) => config.routing === 'new' || config.legacy_url !== undefined, {
    message: 'legacy_url is required for shadow and legacy routing',
    path: ['legacy_url'],
  });

/** Checks config read from storage; an operator's typo must not pass as a working key. */
export function parseKeyConfig(
  value: unknown,
): { ok: true; config: KeyConfig } | { ok: false; message: string } {
  const result = keyConfigSchema.safeParse(value);
  if (result.success) return { ok: true, config: result.data };
  const reason = result.error.issues
    .map((issue) => `${issue.path.join('.') || '(config)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, message: reason };
}

/** Where key config lives: Workers KV, a file, env, memory. `null` means no such key. */
export interface KeyConfigStore {
  get(key: string): Promise<KeyConfig | null>;
  /** The migration stage of `rollout` keys (config/migration.ts); NO_MIGRATION when unset. */
  migration(): Promise<MigrationStage>;
}

/** Names in a config store that are not write keys (the migration stage): they start with `$`. */
export const isReservedEntry = (key: string) => key.startsWith('$');
