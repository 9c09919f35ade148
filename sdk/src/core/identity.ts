import type { Kv } from './types';

/**
 * Storage keys (`pulse:` and the letter) shared by every instance on the site: one visitor,
 * one user, one session.
 */
const VISITOR = 'v';
const USER = 'u';
const SESSION = 's';
/** The user's proof for decide (IdentifyOptions.userHash), kept and cleared with the user id. */
const PROOF = 'h';

export interface Identity {
  visitor(): string;
  user(): string | null;
  /** decide's query for the user, `&user_id=…&user_hash=…`, when identify was given a proof. */
  proof(): string | null;
  setUser(id: string, proof?: string): void;
  /** The session id for an event now; starts a new one after `timeout` ms idle. */
  currentSession(): string;
  resetIds(): void;
  /** Writes the ids kept in memory so far (on consent). */
  saveIds(): void;
}

/**
 * Visitor, user and session ids. They are read from storage on every event, so tabs of the
 * same site share them (a reset in one tab holds in all); until `persist()` (consent) they
 * live in memory only.
 */
export const createIdentity = (
  kv: Kv,
  now: () => number,
  newId: () => string,
  timeout: number,
  persist: () => boolean,
): Identity => {
  const mem: Record<string, string | undefined> = {};
  const get = (k: string) => (persist() && kv.get('pulse:' + k)) || mem[k] || null;
  const set = (k: string, v?: string) => {
    mem[k] = v;
    if (persist()) {
      if (v) kv.set('pulse:' + k, v);
      else kv.del('pulse:' + k);
    }
    return v!;
  };
  return {
    visitor: () => get(VISITOR) || set(VISITOR, newId()),
    user: () => get(USER),
    proof: () => get(PROOF),
    setUser: (id, proof) => {
      set(USER, id);
      set(PROOF, proof && `&user_id=${encodeURIComponent(id)}&user_hash=${proof}`);
    },
    currentSession: () => {
      const [id, at] = (get(SESSION) || '').split(' ');
      const t = now();
      const idle = t - +at!;
      const sid = id && idle < timeout ? id : newId();
      // Storage writes cost ~10 µs: refresh the last-activity time at most once a second.
      if (sid != id || idle > 999) set(SESSION, `${sid} ${t}`);
      return sid;
    },
    resetIds: () => {
      set(USER);
      set(PROOF);
      set(SESSION);
      set(VISITOR, newId());
    },
    saveIds: () => {
      for (const k in mem) set(k, mem[k]);
    },
  };
};
