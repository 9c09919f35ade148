import type { Entry } from '../core/batch';

/**
 * The persistent queue. Events leave it only when the edge has acknowledged them.
 * `shared` stores are seen by every tab of the origin; a memory store is this tab's alone.
 */
export interface Store {
  all(): Promise<Entry[]>;
  put(entries: Entry[]): Promise<void>;
  del(ids: string[]): Promise<void>;
  clear(): Promise<void>;
  shared: boolean;
}

export const byId = (a: Entry, b: Entry): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
