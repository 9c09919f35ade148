import { describe, expect, it } from 'vitest';
import type { KeyConfig, KeyConfigStore } from './key-config';
import { NO_MIGRATION } from './migration';
import { createCachedConfigStore } from './cached-config-store';
import { createMemoryConfigStore } from './memory-config-store';

const config: KeyConfig = {
  customer_id: 'c1',
  allowed_origins: ['*'],
  rate: { per_second: 1, burst: 1 },
  routing: 'new',
};

function countingStore(
  answer: () => Promise<KeyConfig | null>,
): KeyConfigStore & { reads: number } {
  const store = {
    reads: 0,
    migration: () => Promise.resolve(NO_MIGRATION),
    get() {
      store.reads++;
      return answer();
    },
  };
  return store;
}

describe('createCachedConfigStore', () => {
  it('reuses an answer, known key or not, until it expires', async () => {
    let now = 0;
    const inner = countingStore(() => Promise.resolve(config));
    const cached = createCachedConfigStore(inner, { ttlMs: 1_000, now: () => now });
    await Promise.all([cached.get('k'), cached.get('k')]);
    await cached.get('k');
    expect(inner.reads).toBe(1);
    now = 1_000;
    expect(await cached.get('k')).toEqual(config);
    expect(inner.reads).toBe(2);
  });

  it('does not cache a failed read', async () => {
    let fail = true;
    const inner = countingStore(() =>
      fail ? Promise.reject(new Error('kv down')) : Promise.resolve(null),
    );
    const cached = createCachedConfigStore(inner, { now: () => 0 });
    await expect(cached.get('k')).rejects.toThrow('kv down');
    fail = false;
    expect(await cached.get('k')).toBeNull();
    expect(inner.reads).toBe(2);
  });

  it('keeps at most maxEntries keys', async () => {
    const inner = countingStore(() => Promise.resolve(null));
    const cached = createCachedConfigStore(inner, { maxEntries: 2, now: () => 0 });
    for (const key of ['a', 'b', 'c', 'a']) await cached.get(key);
    expect(inner.reads).toBe(4);
  });
});

describe('createMemoryConfigStore', () => {
  it('refuses invalid config when made, naming the key and the field', () => {
    expect(() => createMemoryConfigStore({ k1: { ...config, routing: 'shadow' } })).toThrow(
      /k1: legacy_url/,
    );
    expect(() =>
      createMemoryConfigStore({ k2: { ...config, rate: { per_second: 0, burst: 1 } } }),
    ).toThrow(/k2: rate.per_second/);
  });

  it('refuses a customer id with glob or separator characters (it would reach state keys)', () => {
    for (const customer_id of ['a*', 'cust:1', 'cust{1}', 'cust 1', '']) {
      expect(() => createMemoryConfigStore({ k3: { ...config, customer_id } })).toThrow(
        /k3: customer_id/,
      );
    }
  });
});
