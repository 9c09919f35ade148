import type { Report, Row, Store } from '../core/types';

/**
 * IndexedDB, then localStorage, then memory: when the current level throws or refuses (missing,
 * blocked, full), the queue moves to the next level and the operation is retried there.
 * Reads and deletions still reach the levels left behind, so rows written there before a
 * failure are neither lost nor stuck. Each move is reported (code `storage`).
 */
export const createFallbackStore = (levels: Array<() => Store>, report: Report): Store => {
  const opened = [levels[0]!()];
  const top = () => opened[opened.length - 1]!;
  const onTop = async <T>(op: (s: Store) => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await op(top());
      } catch (error) {
        const next = levels[opened.length];
        if (!next) throw error;
        report('storage', `queue storage failed, falling back (${error})`);
        opened.push(next());
      }
    }
  };
  const each = (op: (s: Store) => Promise<unknown>) =>
    Promise.all(
      opened.map(async (s) => {
        try {
          await op(s);
        } catch {
          // A level left behind that refuses too: nothing more to do with it now.
        }
      }),
    );
  return {
    get shared() {
      return top().shared;
    },
    all: async () => {
      const rows: Row[] = await onTop((s) => s.all());
      for (const s of opened.slice(0, -1)) {
        try {
          rows.push(...(await s.all()));
        } catch {
          // Unreadable for now: its rows wait for a later load.
        }
      }
      return rows;
    },
    put: (rows) => onTop((s) => s.put(rows)),
    del: (ids) => each((s) => s.del(ids)),
    clear: () => each((s) => s.clear()),
  };
};
