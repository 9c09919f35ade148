import type { SegmentDefinition } from '@pulse/contract';
import { parseWindow } from '../segments/window';
import { entryOf } from '../map-entry';
import type {
  Evidence,
  EvidenceRef,
  MemberRef,
  SourceRef,
  StateChanges,
  StateStore,
} from '../state/state-store';

/** A segment definition with its window in ms, ready for the engine. */
export interface ActiveSegment {
  definition: SegmentDefinition;
  windowMs: number;
}

/** The ids a batch will touch, per customer, so their state can be read in a few round trips. */
export interface BatchFootprint {
  /** customer → every visitor, user and previous id the batch names. */
  ids: Map<string, Set<string>>;
  /** customer → the furthest its clock can move in this batch. */
  clockUpTo: Map<string, number>;
}

/**
 * The state of one customer a batch reads and changes: per segment, then per id, so no key is
 * ever built from several strings and split back (ids may hold any character: a NUL-joined key
 * once moved evidence to another profile) and no lookup pays for a joined key (JSON keys cost a
 * third of the plan).
 */
class CustomerState {
  clock = Number.NEGATIVE_INFINITY;
  clockDirty = false;
  segments: ActiveSegment[] = [];
  /** source → the user it is linked to, or null (looked up, none). */
  readonly link = new Map<string, string | null>();
  /** user → its sources. */
  readonly sources = new Map<string, Set<string>>();
  /** segment → source → evidence. */
  readonly evidence = new Map<string, Map<string, Evidence>>();
  /** segment → id → end of membership; only members are present. */
  readonly memberEnds = new Map<string, Map<string, number>>();
  /** The earliest membership end, or undefined when it must be recomputed. */
  earliestEnd: number | undefined = undefined;

  readonly newLinks: StateChanges['links'] = [];
  /** user → sources added to it. */
  readonly addedSources = new Map<string, Set<string>>();
  readonly clearedSources = new Set<string>();
  /** segment → source → evidence added. */
  readonly addedEvidence = new Map<string, Map<string, Array<[string, number]>>>();
  /** segment → ids whose membership changed. */
  readonly dirtyMembers = new Map<string, Set<string>>();
}

const newMap = <K, V>() => new Map<K, V>();
const newSet = <T>() => new Set<T>();

/**
 * The slice of state one batch reads, held in memory while the batch is planned, with every
 * change recorded so it can be committed at once after the warehouse write.
 */
export class WorkingState {
  private readonly customers = new Map<string, CustomerState>();

  private of(customer: string): CustomerState {
    return entryOf(this.customers, customer, () => new CustomerState());
  }

  /** The customer's segments with a window, as read at the batch's start. */
  segmentsOf(customer: string): readonly ActiveSegment[] {
    return this.customers.get(customer)?.segments ?? [];
  }

  static async load(store: StateStore, footprint: BatchFootprint): Promise<WorkingState> {
    const state = new WorkingState();
    const customers = [...new Set([...footprint.ids.keys(), ...footprint.clockUpTo.keys()])];
    const [definitions, clocks] = await Promise.all([
      store.definitions(customers),
      store.clocks(customers),
    ]);
    customers.forEach((customer, i) => {
      const segments = (definitions[i] ?? []).flatMap((definition) => {
        const windowMs = parseWindow(definition.rule.window);
        return windowMs == null ? [] : [{ definition, windowMs }];
      });
      const c = state.of(customer);
      c.segments = segments;
      c.clock = clocks[i] ?? Number.NEGATIVE_INFINITY;
    });

    // Identity: the named ids, their users, then every source of every user involved.
    const idRefs: SourceRef[] = [];
    for (const [customer, ids] of footprint.ids)
      for (const id of ids) idRefs.push({ customer, id });
    const users = await store.links(idRefs);
    const profiles = new Map<string, Set<string>>();
    idRefs.forEach((ref, i) => {
      const user = users[i] ?? null;
      state.of(ref.customer).link.set(ref.id, user);
      const ids = entryOf(profiles, ref.customer, newSet<string>);
      ids.add(ref.id);
      if (user) ids.add(user);
    });
    const profileRefs: SourceRef[] = [];
    for (const [customer, ids] of profiles)
      for (const id of ids) profileRefs.push({ customer, id });
    const sources = await store.sources(profileRefs);
    profileRefs.forEach((ref, i) =>
      state.of(ref.customer).sources.set(ref.id, new Set(sources[i])),
    );

    // Members that may expire during the batch are touched too: read their evidence as well.
    const dueRefs = customers.flatMap((customer) =>
      state.of(customer).segments.map((s) => ({
        customer,
        segment: s.definition.id,
        upTo: footprint.clockUpTo.get(customer) ?? Number.NEGATIVE_INFINITY,
      })),
    );
    const due = await store.due(dueRefs);
    dueRefs.forEach((ref, i) => {
      for (const [id, end] of due[i] ?? [])
        state.setMember(ref.customer, ref.segment, id, end, false);
    });

    const memberRefs: MemberRef[] = [];
    const evidenceRefs: EvidenceRef[] = [];
    for (const [customer, ids] of profiles) {
      const c = state.of(customer);
      for (const { definition } of c.segments) {
        const segment = definition.id;
        const seen = new Set<string>();
        for (const id of ids) {
          memberRefs.push({ customer, segment, id });
          for (const source of [id, ...(c.sources.get(id) ?? [])]) {
            if (seen.has(source)) continue;
            seen.add(source);
            evidenceRefs.push({ customer, segment, source });
          }
        }
      }
    }
    const [ends, evidence] = await Promise.all([
      store.memberships(memberRefs),
      store.evidence(evidenceRefs),
    ]);
    memberRefs.forEach((ref, i) => {
      const end = ends[i];
      if (end != null) state.setMember(ref.customer, ref.segment, ref.id, end, false);
    });
    evidenceRefs.forEach((ref, i) =>
      entryOf(state.of(ref.customer).evidence, ref.segment, newMap<string, Evidence>).set(
        ref.source,
        evidence[i] ?? new Map(),
      ),
    );
    return state;
  }

  clockOf(customer: string): number {
    return this.customers.get(customer)?.clock ?? Number.NEGATIVE_INFINITY;
  }

  advanceClock(customer: string, to: number): number {
    const c = this.of(customer);
    const now = Math.max(c.clock, to);
    if (now !== c.clock) {
      c.clock = now;
      c.clockDirty = true;
    }
    return now;
  }

  /** The user a source is linked to, or null. */
  linkOf(customer: string, id: string): string | null {
    return this.customers.get(customer)?.link.get(id) ?? null;
  }

  canonical(customer: string, id: string): string {
    return this.linkOf(customer, id) ?? id;
  }

  sourcesOf(customer: string, user: string): Set<string> {
    return this.customers.get(customer)?.sources.get(user) ?? new Set();
  }

  /** Links `source` to `user` and records it; the caller checks the identity rules. */
  setLink(customer: string, source: string, user: string): void {
    const c = this.of(customer);
    c.link.set(source, user);
    c.newLinks.push({ customer, source, user });
    entryOf(c.sources, user, newSet<string>).add(source);
    entryOf(c.addedSources, user, newSet<string>).add(source);
  }

  clearSources(customer: string, user: string): void {
    const c = this.of(customer);
    c.sources.set(user, new Set());
    c.addedSources.delete(user);
    c.clearedSources.add(user);
  }

  evidenceOf(customer: string, segment: string, source: string): Evidence {
    // Only sources first seen in this batch have no evidence here: they have none stored.
    return entryOf(
      entryOf(this.of(customer).evidence, segment, newMap<string, Evidence>),
      source,
      newMap<string, number>,
    );
  }

  /** Adds evidence unless the event_id is already there (its first time wins). */
  addEvidence(
    customer: string,
    segment: string,
    source: string,
    eventId: string,
    at: number,
  ): void {
    const evidence = this.evidenceOf(customer, segment, source);
    if (evidence.has(eventId)) return;
    evidence.set(eventId, at);
    const added = entryOf(
      this.of(customer).addedEvidence,
      segment,
      newMap<string, Array<[string, number]>>,
    );
    entryOf(added, source, () => [] as Array<[string, number]>).push([eventId, at]);
  }

  memberEnd(customer: string, segment: string, id: string): number | null {
    return this.customers.get(customer)?.memberEnds.get(segment)?.get(id) ?? null;
  }

  setMember(customer: string, segment: string, id: string, end: number | null, dirty = true): void {
    const c = this.of(customer);
    const ends = entryOf(c.memberEnds, segment, newMap<string, number>);
    const earliest = c.earliestEnd;
    if (earliest !== undefined && ends.get(id) === earliest) c.earliestEnd = undefined;
    if (end == null) ends.delete(id);
    else {
      ends.set(id, end);
      if (earliest !== undefined && end < earliest) c.earliestEnd = end;
    }
    if (dirty) entryOf(c.dirtyMembers, segment, newSet<string>).add(id);
  }

  /** Members of a customer whose membership ends at or before `upTo`, in (end, segment, id) order. */
  dueMembers(customer: string, upTo: number): Array<{ segment: string; id: string; end: number }> {
    const c = this.customers.get(customer);
    if (!c) return [];
    if (c.earliestEnd === undefined) {
      // Recomputed only after the earliest end moved: expiries are rare next to events.
      let earliest = Number.POSITIVE_INFINITY;
      for (const ends of c.memberEnds.values())
        for (const end of ends.values()) earliest = Math.min(earliest, end);
      c.earliestEnd = earliest;
    }
    if (c.earliestEnd > upTo) return [];
    const due: Array<{ segment: string; id: string; end: number }> = [];
    for (const [segment, ends] of c.memberEnds)
      for (const [id, end] of ends) if (end <= upTo) due.push({ segment, id, end });
    return due.sort((a, b) => a.end - b.end || cmp(a.segment, b.segment) || cmp(a.id, b.id));
  }

  /** Everything changed since `load`, for `StateStore.commit`. */
  changes(): StateChanges {
    const changes: StateChanges = {
      clocks: [],
      links: [],
      sourcesCleared: [],
      sourcesAdded: [],
      evidence: [],
      members: [],
    };
    for (const [customer, c] of this.customers) {
      if (c.clockDirty) changes.clocks.push({ customer, at: c.clock });
      changes.links.push(...c.newLinks);
      for (const user of c.clearedSources) changes.sourcesCleared.push({ customer, user });
      for (const [user, sources] of c.addedSources)
        changes.sourcesAdded.push({ customer, user, sources: [...sources] });
      for (const [segment, bySource] of c.addedEvidence) {
        const windowMs = c.segments.find((s) => s.definition.id === segment)?.windowMs ?? 0;
        for (const [source, add] of bySource)
          changes.evidence.push({ customer, segment, source, add, pruneUpTo: c.clock - windowMs });
      }
      for (const [segment, ids] of c.dirtyMembers)
        for (const id of ids)
          changes.members.push({
            customer,
            segment,
            id,
            end: this.memberEnd(customer, segment, id),
          });
    }
    return changes;
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export { cmp as compareStrings };
