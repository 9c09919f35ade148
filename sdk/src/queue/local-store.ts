import type { Entry } from '../core/batch';
import { byId, type Store } from './store';

/**
 * The queue in localStorage, for when IndexedDB is missing or failing. Writes throw on quota,
 * which moves the SDK on to memory.
 */
export const createLocalStore = (storage: Storage, key: string): Store => {
  const name = `pulse:q:${key}`;
  const read = (): Record<string, string> =>
    JSON.parse(storage.getItem(name) || '{}') as Record<string, string>;
  const write = (q: Record<string, string>) => storage.setItem(name, JSON.stringify(q));
  return {
    shared: true,
    all: async () => Object.entries(read()).sort(byId),
    put: async (list) => {
      const q = read();
      for (const [id, json] of list) q[id] = json;
      write(q);
    },
    del: async (ids) => {
      const q = read();
      for (const id of ids) delete q[id];
      write(q);
    },
    clear: async () => storage.removeItem(name),
  };
};

/** The queue in this tab's memory: the last resort, lost with the tab. */
export const createMemoryStore = (): Store => {
  const q = new Map<string, string>();
  return {
    shared: false,
    all: async () => [...q].sort(byId) as Entry[],
    put: async (list) => list.forEach(([id, json]) => q.set(id, json)),
    del: async (ids) => ids.forEach((id) => q.delete(id)),
    clear: async () => q.clear(),
  };
};
