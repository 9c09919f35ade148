import type { IdentityLink, SegmentChange, SegmentDefinition } from '@pulse/contract';

/** A source (visitor_id, or a former user_id) of one customer. */
export interface SourceRef {
  customer: string;
  id: string;
}

/** One source's evidence for one segment. */
export interface EvidenceRef {
  customer: string;
  segment: string;
  source: string;
}

/** A profile (canonical id) in one segment. */
export interface MemberRef {
  customer: string;
  segment: string;
  id: string;
}

/** Matching events of one source for one segment: event_id → event time (ms). */
export type Evidence = Map<string, number>;

/**
 * Everything one processed batch changes, written at once by `commit`. Every part is
 * idempotent, so committing the same changes twice leaves the same state.
 */
export interface StateChanges {
  /** A customer's clock (ms) moved forward. */
  clocks: Array<{ customer: string; at: number }>;
  /** `source` now belongs to `user` (the identity graph). */
  links: Array<{ customer: string; source: string; user: string }>;
  /**
   * `sources` now belong to `user` (the reverse index of `links`). They are added to the set of
   * the user's canonical profile: its link, followed until a user with none, read in the same
   * atomic commit. So a user merged into another keeps no set of its own, whatever the order
   * in which the links of a merge are committed (the Flink loader commits each partition's
   * links on their own); the processor names canonical users, for which this changes nothing.
   */
  sourcesAdded: Array<{ customer: string; user: string; sources: string[] }>;
  /** `user` was merged into another user: it has no sources of its own any more. */
  sourcesCleared: Array<{ customer: string; user: string }>;
  /** Evidence added (first time wins) and evidence at or before `pruneUpTo` removed. */
  evidence: Array<EvidenceRef & { add: Array<[eventId: string, at: number]>; pruneUpTo: number }>;
  /** A profile is a member until `end` (ms), or not a member (`end: null`). */
  members: Array<MemberRef & { end: number | null }>;
  /**
   * The batch's changes and links, kept with the state that caused them (a transactional
   * outbox) until they are in the warehouse and published; see `pendingOutbox`.
   */
  outbox?: OutboxEntry;
}

/** Changes and links committed with the state, not yet written out. */
export interface OutboxEntry {
  id: string;
  changes: SegmentChange[];
  links: IdentityLink[];
}

/**
 * Identity graph, segment evidence and membership (docs/architecture.md, "Processing semantics").
 * Redis in scale mode, an embedded store in the default; both pass the same vectors.
 *
 * Reads take arrays and answer in the same order, so an adapter can serve each in one round
 * trip. `commit` is atomic and resolves only once the changes are durable.
 */
export interface StateStore {
  definitions(customers: string[]): Promise<SegmentDefinition[][]>;
  putDefinition(customer: string, definition: SegmentDefinition): Promise<void>;
  deleteDefinition(customer: string, segmentId: string): Promise<boolean>;
  /**
   * Drops a segment's members, their ends and its evidence, and keeps its definition: a
   * redefinition starts the segment over under the new rule, which is stored first, so the
   * customer stays among those with segments throughout.
   */
  clearSegment(customer: string, segmentId: string): Promise<void>;
  /** Customers with at least one segment (they need the clock to tick). */
  customersWithSegments(): Promise<string[]>;

  clocks(customers: string[]): Promise<Array<number | null>>;
  /** The user each source is linked to, or null. */
  links(refs: SourceRef[]): Promise<Array<string | null>>;
  /** The sources linked to each user. */
  sources(refs: SourceRef[]): Promise<string[][]>;
  evidence(refs: EvidenceRef[]): Promise<Evidence[]>;
  /** When each profile's membership ends (ms), or null when it is not a member. */
  memberships(refs: MemberRef[]): Promise<Array<number | null>>;
  /** Members whose membership ends at or before `upTo`, with the end. */
  due(
    refs: Array<{ customer: string; segment: string; upTo: number }>,
  ): Promise<Array<Array<[id: string, end: number]>>>;
  /**
   * A page of a segment's members; `next` is the cursor of the following page, or null. A
   * cursor this store could not have made rejects with InvalidCursorError.
   */
  members(
    customer: string,
    segment: string,
    cursor: string | null,
    limit: number,
  ): Promise<{ ids: string[]; next: string | null }>;

  /**
   * Forgets a profile: `id`'s canonical profile (the user it is linked to, else `id`) and every
   * source linked to it lose their links, their evidence in every segment and their
   * memberships. Resolves with the ids removed (canonical first), or `[]` when the store knew
   * nothing of them. The customer's clock and other profiles are untouched.
   */
  deleteProfile(customer: string, id: string): Promise<string[]>;

  /** A customer's settings document of a kind (`trigger`, …): put, get, list (by id), delete. */
  putDocument(customer: string, kind: string, id: string, value: unknown): Promise<void>;
  /** The document, or undefined when there is none. */
  getDocument(customer: string, kind: string, id: string): Promise<unknown>;
  listDocuments(customer: string, kind: string): Promise<Array<{ id: string; value: unknown }>>;
  deleteDocument(customer: string, kind: string, id: string): Promise<boolean>;

  commit(changes: StateChanges): Promise<void>;
  /** Outbox entries committed but not yet cleared, oldest first. */
  pendingOutbox(): Promise<OutboxEntry[]>;
  /** An entry is in the warehouse and published: forget it. */
  clearOutbox(id: string): Promise<void>;
  /** Resolves once the store answers a round trip (readiness checks); rejects when it cannot. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const emptyStateChanges = (): StateChanges => ({
  clocks: [],
  links: [],
  sourcesAdded: [],
  sourcesCleared: [],
  evidence: [],
  members: [],
});

/** A member cursor the store did not make (a client's forgery or typo): a 400, not a 500. */
export class InvalidCursorError extends Error {
  constructor(cursor: string) {
    super(`not a cursor of this store: ${JSON.stringify(cursor.slice(0, 100))}`);
    this.name = 'InvalidCursorError';
  }
}
