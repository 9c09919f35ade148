import { createStore, promisifyRequest as done } from 'idb-keyval';
import type { Row, Store } from '../core/types';

/**
 * The queue in IndexedDB through idb-keyval's `createStore` (one database per write key, rows
 * keyed by event id, so they come back in UUIDv7 order). Shared by every tab of the site.
 * Throws or rejects where IndexedDB is missing, blocked or full, which makes the fallback
 * store move on.
 */
export const createIdbStore = (name: string): Store => {
  const db = createStore(name, 'q');
  const write = (fn: (s: IDBObjectStore) => void) =>
    db('readwrite', (s) => {
      fn(s);
      return done(s.transaction);
    });
  return {
    shared: true,
    all: () =>
      db('readonly', (s) => Promise.all([done(s.getAllKeys()), done(s.getAll())])).then(
        ([ids, values]) => ids.map((id, i): Row => [id as string, values[i] as string]),
      ),
    put: (rows) => write((s) => rows.forEach(([id, json]) => s.put(json, id))),
    del: (ids) => write((s) => ids.forEach((id) => s.delete(id))),
    clear: () => write((s) => s.clear()),
  };
};
