import { afterEach, describe, expect, it } from 'vitest';
import { createFakeStore } from '../../test/fake-env';
import type { Row } from '../core/types';
import { createFallbackStore } from './fallback-store';
import { createLocalStore, createMemoryStore } from './record-store';

const row = (n: number): Row => [`id-${n}`, `{"n":${n}}`];

/** A localStorage of `quota` characters, like the browser's (which throws when full). */
const fakeLocalStorage = (quota: number) => {
  const map = new Map<string, string>();
  const used = () => [...map].reduce((n, [k, v]) => n + k.length + v.length, 0);
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => {
      const before = map.get(k);
      map.set(k, v);
      if (used() > quota) {
        if (before == null) map.delete(k);
        else map.set(k, before);
        throw new DOMException('quota', 'QuotaExceededError');
      }
    },
    removeItem: (k: string) => void map.delete(k),
    map,
  };
};

afterEach(() => {
  delete (globalThis as { localStorage?: unknown }).localStorage;
});

describe('the queue store', () => {
  it('moves to the next level when a write throws (IndexedDB missing), and reports it once', async () => {
    const idb = createFakeStore();
    idb.broken = true;
    const mem = createMemoryStore();
    const falls: unknown[] = [];
    const store = createFallbackStore([() => idb, () => mem], (_, message) => falls.push(message));
    await store.put([row(1)]);
    await store.put([row(2)]);
    expect(await mem.all()).toEqual([row(1), row(2)]);
    expect(falls).toHaveLength(1);
    expect(store.shared).toBe(false);
  });

  it('still reads and deletes the rows left in a level it moved away from', async () => {
    const idb = createFakeStore();
    await idb.put([row(1)]);
    const local = createFakeStore();
    const store = createFallbackStore([() => idb, () => local], () => {});
    idb.hang = false;
    const refuse = idb.put;
    idb.put = () => Promise.reject(new DOMException('full', 'QuotaExceededError'));
    await store.put([row(2)]);
    idb.put = refuse;
    expect((await store.all()).map(([id]) => id).sort()).toEqual(['id-1', 'id-2']);
    await store.del(['id-1', 'id-2']);
    expect(idb.rows.size + local.rows.size).toBe(0);
  });

  it('moves on when a read fails too, so a page without IndexedDB finds what the last page queued', async () => {
    (globalThis as { localStorage?: unknown }).localStorage = fakeLocalStorage(1e6);
    const broken = createFakeStore();
    broken.broken = true;
    const previous = createLocalStore('pulse:q:k');
    await previous.put([row(1)]);
    const store = createFallbackStore(
      [() => broken, () => createLocalStore('pulse:q:k')],
      () => {},
    );
    expect(await store.all()).toEqual([row(1)]);
    expect(store.shared).toBe(true);
  });

  it('keeps the queue in one localStorage entry and falls to memory when localStorage is full', async () => {
    const ls = fakeLocalStorage(400);
    (globalThis as { localStorage?: unknown }).localStorage = ls;
    const store = createFallbackStore(
      [() => createLocalStore('pulse:q:k'), createMemoryStore],
      () => {},
    );
    await store.put([row(1)]);
    expect(JSON.parse(ls.getItem('pulse:q:k')!)).toEqual({ 'id-1': '{"n":1}' });
    await store.put([[`id-big`, 'x'.repeat(500)]]);
    expect(store.shared).toBe(false);
    expect((await store.all()).map(([id]) => id)).toEqual(['id-big', 'id-1']);
    await store.clear();
    expect(await store.all()).toEqual([]);
    expect(ls.map.size).toBe(0);
  });

  it('throws only when the last level refuses', async () => {
    const a = createFakeStore();
    const b = createFakeStore();
    a.broken = b.broken = true;
    const store = createFallbackStore([() => a, () => b], () => {});
    await expect(store.put([row(1)])).rejects.toThrow('store broken');
  });
});
