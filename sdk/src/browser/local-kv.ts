import type { Kv } from '../core/types';

/**
 * localStorage that never throws: when it is missing, blocked or full, values live in this
 * page's memory instead (and win over stale stored ones).
 */
export const createLocalKv = (): Kv => {
  const mem = new Map<string, string>();
  const ls = () => localStorage;
  return {
    get: (k) => {
      try {
        return mem.get(k) ?? ls().getItem(k);
      } catch {
        return null;
      }
    },
    set: (k, v) => {
      try {
        ls().setItem(k, v);
        mem.delete(k);
      } catch {
        mem.set(k, v);
      }
    },
    del: (k) => {
      mem.delete(k);
      try {
        ls().removeItem(k);
      } catch {
        // Nothing stored to remove.
      }
    },
    keys: () => {
      try {
        return Object.keys(ls());
      } catch {
        return [...mem.keys()];
      }
    },
  };
};
