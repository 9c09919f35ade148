import { clear, createStore, delMany, entries, setMany } from 'idb-keyval';
import { byId, type Store } from './store';

/** The queue in IndexedDB (one object store per write key), shared by the origin's tabs. */
export const createIdbStore = (key: string): Store => {
  const db = createStore(`pulse:${key}`, 'q');
  return {
    shared: true,
    all: async () => (await entries<string, string>(db)).sort(byId),
    put: (list) => setMany(list, db),
    del: (ids) => delMany(ids, db),
    clear: () => clear(db),
  };
};
