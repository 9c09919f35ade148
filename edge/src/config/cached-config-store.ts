import type { KeyConfig, KeyConfigStore } from './key-config';

/** Options of {@link createCachedConfigStore}. */
export interface CachedConfigStoreOptions {
  /** How long an answer (a config, or "no such key") is reused. @default 10_000 */
  ttlMs?: number;
  /** Most keys kept; the oldest entry goes first. @default 10_000 */
  maxEntries?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

interface Entry {
  value: Promise<KeyConfig | null>;
  expiresAt: number;
}

/**
 * A short per-isolate cache in front of a slower store (KV, a file). Unknown keys are cached
 * too, so a flood of bad keys cannot hammer the store; a failed read is not cached. Switching
 * a customer's routing therefore takes effect within `ttlMs`, with no deploy.
 */
export function createCachedConfigStore(
  inner: KeyConfigStore,
  options: CachedConfigStoreOptions = {},
): KeyConfigStore {
  const { ttlMs = 10_000, maxEntries = 10_000, now = Date.now } = options;
  const entries = new Map<string, Entry>();
  let stage: { value: ReturnType<KeyConfigStore['migration']>; expiresAt: number } | undefined;
  return {
    // The stage is cached like a key: a rollout or rollback takes effect within `ttlMs`.
    migration() {
      const time = now();
      if (stage && stage.expiresAt > time) return stage.value;
      const value = inner.migration();
      const entry = { value, expiresAt: time + ttlMs };
      stage = entry;
      void value.catch(() => {
        if (stage === entry) stage = undefined;
      });
      return value;
    },
    get(key) {
      const time = now();
      const hit = entries.get(key);
      if (hit && hit.expiresAt > time) return hit.value;
      if (hit) entries.delete(key);
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      // Concurrent requests for one key share one read.
      const value = inner.get(key);
      entries.set(key, { value, expiresAt: time + ttlMs });
      void value.catch(() => entries.delete(key));
      return value;
    },
  };
}
