/** Synchronous key-value storage (localStorage, or memory when it is missing or refused). */
export interface Kv {
  get(key: string): string | null;
  set(key: string, value: string): void;
  del(key: string): void;
  /** Keys that start with `prefix`. */
  keys(prefix: string): string[];
}

/** A session ends after 30 minutes without an event. */
export const SESSION_IDLE_MS = 30 * 60 * 1000;

/** The current session id, rotated when the last activity is older than the idle limit. */
export const touchSession = (kv: Kv, now: number, newId: () => string): string => {
  const [id, last] = (kv.get('pulse:s') || '').split('|');
  const current = id && now - Number(last) < SESSION_IDLE_MS ? id : newId();
  kv.set('pulse:s', `${current}|${now}`);
  return current;
};

/** A Kv over `storage`, falling back to memory for every key it refuses (private mode, quota). */
export const createKv = (storage?: Storage): Kv => {
  const mem: Record<string, string> = {};
  return {
    get: (k) => {
      try {
        const v = storage?.getItem(k);
        if (v != null) return v;
      } catch {
        // storage refused: memory holds the value
      }
      return mem[k] ?? null;
    },
    set: (k, v) => {
      mem[k] = v;
      try {
        storage?.setItem(k, v);
      } catch {
        // kept in memory only
      }
    },
    keys: (prefix) => {
      let all = Object.keys(mem);
      try {
        all = all.concat(Object.keys(storage || {}));
      } catch {
        // storage refused: memory keys only
      }
      return [...new Set(all)].filter((k) => k.startsWith(prefix));
    },
    del: (k) => {
      delete mem[k];
      try {
        storage?.removeItem(k);
      } catch {
        // nothing to remove
      }
    },
  };
};
