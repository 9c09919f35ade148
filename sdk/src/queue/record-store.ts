import type { Store } from '../core/types';

type Rows = Record<string, string>;

/** A queue kept as one id → JSON record, read and written whole by `load` and `save`. */
const createRecordStore = (
  shared: boolean,
  load: () => Rows,
  save: (rows: Rows) => void,
): Store => {
  const change = async (fn: (rows: Rows) => void | Rows) => {
    const rows = load();
    save(fn(rows) || rows);
  };
  return {
    shared,
    all: async () => Object.entries(load()),
    put: (rows) => change((r) => rows.forEach(([id, json]) => (r[id] = json))),
    del: (ids) => change((r) => ids.forEach((id) => delete r[id])),
    clear: () => change(() => ({})),
  };
};

/**
 * The queue in one localStorage entry: the fallback where IndexedDB is missing or full.
 * Shared by tabs; a full localStorage throws on save and moves the queue on to memory.
 */
export const createLocalStore = (key: string): Store =>
  createRecordStore(
    true,
    () => JSON.parse(localStorage.getItem(key) || '{}') as Rows,
    (rows) => {
      for (const _ in rows) return localStorage.setItem(key, JSON.stringify(rows));
      localStorage.removeItem(key);
    },
  );

/** The last resort: this page's memory. Not shared, so this page sends its own events. */
export const createMemoryStore = (): Store => {
  let memory: Rows = {};
  return createRecordStore(
    false,
    () => memory,
    (rows) => (memory = rows),
  );
};
