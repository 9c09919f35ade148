import { clear, createStore, delMany, entries, setMany } from 'idb-keyval';
import type { Row, Store } from '../core/types';

/**
 * The queue in IndexedDB (one database per write key, rows keyed by event id, so they come
 * back in UUIDv7 order). Shared by every tab of the site. Throws or rejects where IndexedDB
 * is missing or refuses, which makes the fallback store move on.
 */
export const createIdbStore = (name: string): Store => {
  const db = createStore(name, 'q');
  return {
    shared: true,
    all: () => entries<string, string>(db) as Promise<Row[]>,
    put: (rows) => setMany(rows, db),
    del: (ids) => delMany(ids, db),
    clear: () => clear(db),
  };
};
