import type { Kv, Row, Store } from './types';

/**
 * The unload journal: IndexedDB writes are asynchronous, so a page that is hidden or left
 * copies synchronously into localStorage (one key per page) the events it has not yet
 * committed to the store and the acknowledgements whose deletion has not landed yet.
 * The next sender merges every other page's journal into the store and removes it.
 */

/** Writes the journal, or removes it when there is nothing to keep; true when written. */
export const writeJournal = (kv: Kv, key: string, rows: Row[], acked: string[]): boolean => {
  const keep = !!(rows.length || acked.length);
  if (keep) kv.set(key, JSON.stringify([rows, acked]));
  else kv.del(key);
  return keep;
};

/** Merges the journals under `prefix` (all but `own`) into the store; `skip` are ids known sent. */
export const adoptJournals = async (
  kv: Kv,
  store: Store,
  prefix: string,
  own: string,
  skip: Set<string>,
): Promise<void> => {
  for (const key of kv.keys()) {
    if (!key.startsWith(prefix) || key == own) continue;
    try {
      const [rows, acked] = JSON.parse(kv.get(key)!) as [Row[], string[]];
      await store.put(rows.filter(([id]) => !skip.has(id)));
      await store.del(acked);
    } catch {
      // A torn or foreign journal: nothing to adopt from it.
    }
    kv.del(key);
  }
};
