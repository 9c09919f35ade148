import { open, type Database, type Key } from 'lmdb';
import type { SegmentDefinition } from '@pulse/contract';
import type {
  OutboxEntry,
  Evidence,
  EvidenceRef,
  MemberRef,
  SourceRef,
  StateChanges,
  StateStore,
} from './state-store';

/*
 * Key layout (LMDB orders array keys element by element):
 *   ['clock', customer]                      → ms
 *   ['def', customer, segment]               → SegmentDefinition
 *   ['link', customer, source]               → user
 *   ['sources', customer, user]              → string[]
 *   ['evidence', customer, segment, source]  → Record<event_id, ms>
 *   ['member', customer, segment, id]        → end (ms)
 *   ['ends', customer, segment, end, id]     → 1 (members by end, for expiry)
 *   ['doc', customer, kind, id]              → a settings document
 *   ['outbox', id]                           → OutboxEntry (ids sort by commit order)
 * A profile's keys are found from its canonical id: its sources, then per segment definition.
 */
/**
 * The first key after every key that starts with `prefix`. Ids are the last part of a key and
 * may hold any character: a bound like `[...prefix, '\uffff']` missed ids that sort above it
 * (an emoji first, whose UTF-8 starts with 0xF0). The parts of `prefix` are customers,
 * segments and kinds, which hold no NUL (CUSTOMER_ID_PATTERN, SEGMENT_ID_PATTERN).
 */
const after = (...prefix: string[]): string[] => [
  ...prefix.slice(0, -1),
  `${prefix.at(-1) ?? ''}\u0000`,
];

/**
 * The embedded state store of `npm run dev`: LMDB in a directory under `.pulse/`. Commits are
 * one transaction, flushed to disk before `commit` resolves, so state survives a crash just as
 * it does in Redis with an fsynced append-only file.
 */
export function openEmbeddedStore(path: string): StateStore {
  // overlappingSync (lmdb's default off Windows) resolves a write once it is committed and
  // flushes afterwards: the edge's 200 could precede durable state. Off, every transaction
  // is flushed before its promise resolves, as the store's contract says.
  const db: Database<unknown, Key> = open({ path, compression: false, overlappingSync: false });

  /**
   * Reads keys one by one, synchronously: lmdb's `getMany` first prefetches them off the main
   * thread, encoding every key twice, which cost more than the reads of a batch's state (whose
   * pages are in memory) take.
   */
  const getMany = async <T>(keys: Key[]) => keys.map((key) => db.get(key) as T | undefined);
  /** Removes a segment's members, ends and evidence; call it inside a transaction. */
  const clearSync = (customer: string, segmentId: string) => {
    for (const prefix of ['member', 'ends', 'evidence']) {
      for (const key of db.getKeys({
        start: [prefix, customer, segmentId],
        end: after(prefix, customer, segmentId),
      })) {
        db.removeSync(key);
      }
    }
  };

  return {
    async definitions(customers) {
      return customers.map((customer) =>
        [...db.getRange({ start: ['def', customer], end: after('def', customer) })].map(
          ({ value }) => value as SegmentDefinition,
        ),
      );
    },
    async putDefinition(customer, definition) {
      await db.put(['def', customer, definition.id], definition);
    },
    async deleteDefinition(customer, segmentId) {
      return db.transaction(() => {
        if (db.get(['def', customer, segmentId]) === undefined) return false;
        db.removeSync(['def', customer, segmentId]);
        clearSync(customer, segmentId);
        return true;
      });
    },
    async clearSegment(customer, segmentId) {
      await db.transaction(() => clearSync(customer, segmentId));
    },
    async customersWithSegments() {
      const customers = new Set<string>();
      for (const key of db.getKeys({ start: ['def'], end: after('def') })) {
        customers.add((key as string[])[1] as string);
      }
      return [...customers];
    },
    async clocks(customers) {
      return (await getMany<number>(customers.map((c) => ['clock', c]))).map((v) => v ?? null);
    },
    async links(refs: SourceRef[]) {
      return (await getMany<string>(refs.map((r) => ['link', r.customer, r.id]))).map(
        (v) => v ?? null,
      );
    },
    async sources(refs: SourceRef[]) {
      return (await getMany<string[]>(refs.map((r) => ['sources', r.customer, r.id]))).map(
        (v) => v ?? [],
      );
    },
    async evidence(refs: EvidenceRef[]) {
      const values = await getMany<Record<string, number>>(
        refs.map((r) => ['evidence', r.customer, r.segment, r.source]),
      );
      return values.map((v): Evidence => new Map(Object.entries(v ?? {})));
    },
    async memberships(refs: MemberRef[]) {
      return (await getMany<number>(refs.map((r) => ['member', r.customer, r.segment, r.id]))).map(
        (v) => v ?? null,
      );
    },
    async due(refs) {
      return refs.map(({ customer, segment, upTo }) => {
        if (!Number.isFinite(upTo)) return [];
        const due: Array<[string, number]> = [];
        for (const key of db.getKeys({
          start: ['ends', customer, segment],
          end: after('ends', customer, segment),
        })) {
          const [, , , end, id] = key as [string, string, string, number, string];
          if (end > upTo) break;
          due.push([id, end]);
        }
        return due;
      });
    },
    async members(customer, segment, cursor, limit) {
      const ids: string[] = [];
      let next: string | null = null;
      for (const key of db.getKeys({
        start: ['member', customer, segment, cursor ?? ''],
        end: after('member', customer, segment),
      })) {
        const id = (key as string[])[3] as string;
        if (cursor != null && id <= cursor) continue;
        if (ids.length === limit) {
          next = ids[ids.length - 1] ?? null;
          break;
        }
        ids.push(id);
      }
      return { ids, next };
    },
    async deleteProfile(customer, id) {
      return db.transaction(() => {
        const user = (db.get(['link', customer, id]) as string | undefined) ?? id;
        const ids = [
          user,
          ...((db.get(['sources', customer, user]) as string[] | undefined) ?? []),
        ];
        const segments = [
          ...db.getKeys({ start: ['def', customer], end: after('def', customer) }),
        ].map((key) => (key as string[])[2] as string);
        let known = false;
        const remove = (key: Key) => {
          if (db.get(key) === undefined) return;
          known = true;
          db.removeSync(key);
        };
        for (const source of ids) {
          remove(['link', customer, source]);
          remove(['sources', customer, source]);
          for (const segment of segments) {
            remove(['evidence', customer, segment, source]);
            const end = db.get(['member', customer, segment, source]) as number | undefined;
            if (end !== undefined) remove(['ends', customer, segment, end, source]);
            remove(['member', customer, segment, source]);
          }
        }
        return known ? ids : [];
      });
    },
    async putDocument(customer, kind, id, value) {
      await db.put(['doc', customer, kind, id], value);
    },
    async getDocument(customer, kind, id) {
      return db.get(['doc', customer, kind, id]);
    },
    async listDocuments(customer, kind) {
      return [
        ...db.getRange({ start: ['doc', customer, kind], end: after('doc', customer, kind) }),
      ].map(({ key, value }) => ({ id: (key as string[])[3] as string, value }));
    },
    async deleteDocument(customer, kind, id) {
      // lmdb's remove answers true for a missing key too: say whether something was there.
      return db.transaction(() => {
        if (db.get(['doc', customer, kind, id]) === undefined) return false;
        db.removeSync(['doc', customer, kind, id]);
        return true;
      });
    },
    async commit(changes: StateChanges) {
      await db.transaction(() => applyChanges(db, changes));
    },
    async pendingOutbox() {
      return [...db.getRange({ start: ['outbox'], end: after('outbox') })].map(
        ({ value }) => value as OutboxEntry,
      );
    },
    async clearOutbox(id) {
      await db.remove(['outbox', id]);
    },
    async ping() {
      // In-process: a read answers unless the database was closed.
      await db.get(['outbox', '']);
    },
    async close() {
      await db.close();
    },
  };
}

function applyChanges(db: Database<unknown, Key>, changes: StateChanges): void {
  if (changes.outbox) db.putSync(['outbox', changes.outbox.id], changes.outbox);
  for (const { customer, at } of changes.clocks) {
    const current = db.get(['clock', customer]) as number | undefined;
    if (current === undefined || at > current) db.putSync(['clock', customer], at);
  }
  for (const { customer, source, user } of changes.links)
    db.putSync(['link', customer, source], user);
  for (const { customer, user } of changes.sourcesCleared)
    db.removeSync(['sources', customer, user]);
  for (const { customer, user, sources } of changes.sourcesAdded) {
    const key = ['sources', customer, canonicalOf(db, customer, user)];
    const current = new Set((db.get(key) as string[] | undefined) ?? []);
    for (const source of sources) current.add(source);
    db.putSync(key, [...current]);
  }
  for (const { customer, segment, source, add, pruneUpTo } of changes.evidence) {
    const key = ['evidence', customer, segment, source];
    const current = { ...((db.get(key) as Record<string, number> | undefined) ?? {}) };
    for (const [eventId, at] of add) if (!(eventId in current)) current[eventId] = at;
    for (const [eventId, at] of Object.entries(current))
      if (at <= pruneUpTo) delete current[eventId];
    if (Object.keys(current).length) db.putSync(key, current);
    else db.removeSync(key);
  }
  for (const { customer, segment, id, end } of changes.members) {
    const key = ['member', customer, segment, id];
    const previous = db.get(key) as number | undefined;
    if (previous !== undefined) db.removeSync(['ends', customer, segment, previous, id]);
    if (end == null) db.removeSync(key);
    else {
      db.putSync(key, end);
      db.putSync(['ends', customer, segment, end, id], 1);
    }
  }
}

/**
 * The profile `user` belongs to: its link followed until a user with none (within the commit's
 * transaction, so no other commit links it in between). A cycle (no commit makes one) stops
 * where it closes.
 */
function canonicalOf(db: Database<unknown, Key>, customer: string, user: string): string {
  const seen = new Set([user]);
  for (;;) {
    const next = db.get(['link', customer, user]) as string | undefined;
    if (next === undefined || seen.has(next)) return user;
    seen.add(next);
    user = next;
  }
}
