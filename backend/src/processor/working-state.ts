import type { SegmentDefinition } from '@pulse/contract';
import { parseWindow } from '../segments/window';
import type { Evidence, StateChanges, StateStore } from '../state/state-store';

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
 * One map key for several strings. JSON keeps the parts apart whatever they hold: a separator
 * character inside an id (a NUL joined them before) moved evidence and membership to another
 * profile when the key was split back.
 */
const key = (...parts: string[]) => JSON.stringify(parts);
const split = (k: string) => JSON.parse(k) as [string, string, string];

/**
 * The slice of state one batch reads, held in memory while the batch is planned, with every
 * change recorded so it can be committed at once after the warehouse write.
 */
export class WorkingState {
  readonly segments = new Map<string, ActiveSegment[]>();
  private readonly clock = new Map<string, number>();
  private readonly link = new Map<string, string | null>();
  private readonly sourceSets = new Map<string, Set<string>>();
  private readonly evidenceMaps = new Map<string, Evidence>();
  /** customer → (segment, id) key → end of membership; only members are present. */
  private readonly memberEnds = new Map<string, Map<string, number>>();
  /** customer → the earliest membership end, or absent when it must be recomputed. */
  private readonly earliestEnd = new Map<string, number>();

  private readonly dirtyClocks = new Set<string>();
  private readonly newLinks: StateChanges['links'] = [];
  private readonly addedSources = new Map<string, Set<string>>();
  private readonly clearedSources = new Set<string>();
  private readonly addedEvidence = new Map<string, Array<[string, number]>>();
  private readonly dirtyMembers = new Set<string>();

  static async load(store: StateStore, footprint: BatchFootprint): Promise<WorkingState> {
    const state = new WorkingState();
    const customers = [...new Set([...footprint.ids.keys(), ...footprint.clockUpTo.keys()])];
    const [definitions, clocks] = await Promise.all([
      store.definitions(customers),
      store.clocks(customers),
    ]);
    customers.forEach((customer, i) => {
      state.segments.set(
        customer,
        (definitions[i] ?? []).flatMap((definition) => {
          const windowMs = parseWindow(definition.rule.window);
          return windowMs == null ? [] : [{ definition, windowMs }];
        }),
      );
      state.clock.set(customer, clocks[i] ?? Number.NEGATIVE_INFINITY);
    });

    // Identity: the named ids, their users, then every source of every user involved.
    const idRefs = [...footprint.ids].flatMap(([customer, ids]) =>
      [...ids].map((id) => ({ customer, id })),
    );
    const users = await store.links(idRefs);
    idRefs.forEach((ref, i) => state.link.set(key(ref.customer, ref.id), users[i] ?? null));
    const profileRefs = uniqueBy(
      [
        ...idRefs,
        ...idRefs.flatMap((ref, i) => (users[i] ? [{ customer: ref.customer, id: users[i] }] : [])),
      ],
      (ref) => [ref.customer, ref.id],
    );
    const sources = await store.sources(profileRefs);
    profileRefs.forEach((ref, i) =>
      state.sourceSets.set(key(ref.customer, ref.id), new Set(sources[i])),
    );

    // Members that may expire during the batch are touched too: read their evidence as well.
    const dueRefs = customers.flatMap((customer) =>
      (state.segments.get(customer) ?? []).map((s) => ({
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

    const memberRefs = profileRefs.flatMap((ref) =>
      (state.segments.get(ref.customer) ?? []).map((s) => ({ ...ref, segment: s.definition.id })),
    );
    const evidenceRefs = uniqueBy(
      memberRefs.flatMap((ref) =>
        [ref.id, ...(state.sourceSets.get(key(ref.customer, ref.id)) ?? [])].map((source) => ({
          customer: ref.customer,
          segment: ref.segment,
          source,
        })),
      ),
      (ref) => [ref.customer, ref.segment, ref.source],
    );
    const [ends, evidence] = await Promise.all([
      store.memberships(memberRefs),
      store.evidence(evidenceRefs),
    ]);
    memberRefs.forEach((ref, i) => {
      const end = ends[i];
      if (end != null) state.setMember(ref.customer, ref.segment, ref.id, end, false);
    });
    evidenceRefs.forEach((ref, i) =>
      state.evidenceMaps.set(key(ref.customer, ref.segment, ref.source), evidence[i] ?? new Map()),
    );
    return state;
  }

  clockOf(customer: string): number {
    return this.clock.get(customer) ?? Number.NEGATIVE_INFINITY;
  }

  advanceClock(customer: string, to: number): number {
    const now = Math.max(this.clockOf(customer), to);
    if (now !== this.clock.get(customer)) {
      this.clock.set(customer, now);
      this.dirtyClocks.add(customer);
    }
    return now;
  }

  /** The user a source is linked to, or null. */
  linkOf(customer: string, id: string): string | null {
    return this.link.get(key(customer, id)) ?? null;
  }

  canonical(customer: string, id: string): string {
    return this.linkOf(customer, id) ?? id;
  }

  sourcesOf(customer: string, user: string): Set<string> {
    return this.sourceSets.get(key(customer, user)) ?? new Set();
  }

  /** Links `source` to `user` and records it; the caller checks the identity rules. */
  setLink(customer: string, source: string, user: string): void {
    this.link.set(key(customer, source), user);
    this.newLinks.push({ customer, source, user });
    const userKey = key(customer, user);
    const set = this.sourceSets.get(userKey) ?? new Set();
    set.add(source);
    this.sourceSets.set(userKey, set);
    const added = this.addedSources.get(userKey) ?? new Set();
    added.add(source);
    this.addedSources.set(userKey, added);
  }

  clearSources(customer: string, user: string): void {
    const userKey = key(customer, user);
    this.sourceSets.set(userKey, new Set());
    this.addedSources.delete(userKey);
    this.clearedSources.add(userKey);
  }

  evidenceOf(customer: string, segment: string, source: string): Evidence {
    const k = key(customer, segment, source);
    let evidence = this.evidenceMaps.get(k);
    if (!evidence) {
      // Only sources first seen in this batch get here: they have no stored evidence.
      evidence = new Map();
      this.evidenceMaps.set(k, evidence);
    }
    return evidence;
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
    const k = key(customer, segment, source);
    const added = this.addedEvidence.get(k) ?? [];
    added.push([eventId, at]);
    this.addedEvidence.set(k, added);
  }

  memberEnd(customer: string, segment: string, id: string): number | null {
    return this.memberEnds.get(customer)?.get(key(segment, id)) ?? null;
  }

  setMember(customer: string, segment: string, id: string, end: number | null, dirty = true): void {
    let ends = this.memberEnds.get(customer);
    if (!ends) this.memberEnds.set(customer, (ends = new Map()));
    const k = key(segment, id);
    const earliest = this.earliestEnd.get(customer);
    if (earliest !== undefined && ends.get(k) === earliest) this.earliestEnd.delete(customer);
    if (end == null) ends.delete(k);
    else {
      ends.set(k, end);
      if (earliest !== undefined && end < earliest) this.earliestEnd.set(customer, end);
    }
    if (dirty) this.dirtyMembers.add(key(customer, segment, id));
  }

  /** Members of a customer whose membership ends at or before `upTo`, in (end, segment, id) order. */
  dueMembers(customer: string, upTo: number): Array<{ segment: string; id: string; end: number }> {
    const ends = this.memberEnds.get(customer);
    if (!ends) return [];
    let earliest = this.earliestEnd.get(customer);
    if (earliest === undefined) {
      // Recomputed only after the earliest end moved: expiries are rare next to events.
      earliest = Number.POSITIVE_INFINITY;
      for (const end of ends.values()) earliest = Math.min(earliest, end);
      this.earliestEnd.set(customer, earliest);
    }
    if (earliest > upTo) return [];
    const due: Array<{ segment: string; id: string; end: number }> = [];
    for (const [k, end] of ends) {
      if (end > upTo) continue;
      const [segment, id] = split(k);
      due.push({ segment, id, end });
    }
    return due.sort((a, b) => a.end - b.end || cmp(a.segment, b.segment) || cmp(a.id, b.id));
  }

  /** Everything changed since `load`, for `StateStore.commit`. */
  changes(): StateChanges {
    return {
      clocks: [...this.dirtyClocks].map((customer) => ({ customer, at: this.clockOf(customer) })),
      links: this.newLinks,
      sourcesCleared: [...this.clearedSources].map((k) => {
        const [customer, user] = split(k);
        return { customer, user };
      }),
      sourcesAdded: [...this.addedSources].map(([k, sources]) => {
        const [customer, user] = split(k);
        return { customer, user, sources: [...sources] };
      }),
      evidence: [...this.addedEvidence].map(([k, add]) => {
        const [customer, segment, source] = split(k);
        const windowMs =
          this.segments.get(customer)?.find((s) => s.definition.id === segment)?.windowMs ?? 0;
        return { customer, segment, source, add, pruneUpTo: this.clockOf(customer) - windowMs };
      }),
      members: [...this.dirtyMembers].map((k) => {
        const [customer, segment, id] = split(k);
        return { customer, segment, id, end: this.memberEnd(customer, segment, id) };
      }),
    };
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `refs` without repeats, two refs being the same when `parts` gives the same strings. */
function uniqueBy<T>(refs: T[], parts: (ref: T) => string[]): T[] {
  const seen = new Map<string, T>();
  for (const ref of refs) seen.set(key(...parts(ref)), ref);
  return [...seen.values()];
}

export { cmp as compareStrings };
