import type { IdentityLink, PulseEvent, SegmentChange } from '@pulse/contract';
import { bySegmentThenId, expireMembers, updateMemberships } from '../segments/membership';
import { ruleMatches } from '../segments/rule-match';
import type { StateChanges, StateStore } from '../state/state-store';
import { entryOf } from '../map-entry';
import { stitch } from './identity';
import { compareStrings, WorkingState, type BatchFootprint } from './working-state';

/** One step of a stream: an event, or the wall clock moving on. */
export type StreamItem = { event: PulseEvent } | { tick: number };

/** What a batch does, computed before anything is written. */
export interface BatchPlan {
  changes: SegmentChange[];
  links: IdentityLink[];
  state: StateChanges;
}

const eventTime = (event: PulseEvent) => Date.parse(event.timestamp);
/** How far an event moves its customer's clock: never past the edge's own receive time. */
const clockTime = (event: PulseEvent) => Math.min(eventTime(event), Date.parse(event.received_at));

/**
 * Plans a batch: identity links, segment evidence, memberships and the enter/exit changes they
 * cause, item by item in stream order (tests/vectors/README.md, "Semantics"). Nothing is
 * written here; the caller writes the warehouse, then commits `state`.
 */
export async function planBatch(
  store: StateStore,
  items: StreamItem[],
  tickCustomers: () => Promise<string[]>,
): Promise<BatchPlan> {
  const hasTick = items.some((item) => 'tick' in item);
  const footprint = footprintOf(items, hasTick ? await tickCustomers() : []);
  const state = await WorkingState.load(store, footprint);
  const changes: SegmentChange[] = [];
  const links: IdentityLink[] = [];

  for (const item of items) {
    if ('tick' in item) {
      for (const customer of [...footprint.clockUpTo.keys()].sort(compareStrings)) {
        state.advanceClock(customer, item.tick);
        changes.push(...expireMembers(state, customer));
      }
      continue;
    }
    const event = item.event;
    const customer = event.customer_id;
    const now = state.advanceClock(customer, clockTime(event));
    changes.push(...expireMembers(state, customer));

    const segments = state.segmentsOf(customer);
    const touched = new Set<string>();
    const merged: SegmentChange[] = [];
    const stitched = [
      event.user_id && event.user_id !== event.visitor_id
        ? stitch(state, segments, event, event.visitor_id, event.user_id, now)
        : null,
      event.event_type === 'alias' && event.previous_id && event.user_id
        ? stitch(state, segments, event, event.previous_id, event.user_id, now)
        : null,
    ];
    for (const done of stitched) {
      if (!done) continue;
      links.push(...done.links);
      merged.push(...done.merged);
      touched.add(done.target);
    }
    changes.push(...merged.sort(bySegmentThenId));

    const source = event.user_id ?? event.visitor_id;
    const at = eventTime(event);
    for (const { definition, windowMs } of segments) {
      if (at <= now - windowMs || !ruleMatches(definition.rule, event)) continue;
      state.addEvidence(customer, definition.id, source, event.event_id, at);
      touched.add(state.canonical(customer, source));
    }
    changes.push(...updateMemberships(state, customer, segments, touched, now));
  }
  return { changes, links, state: state.changes() };
}

function footprintOf(items: StreamItem[], tickCustomers: string[]): BatchFootprint {
  const ids = new Map<string, Set<string>>();
  const clockUpTo = new Map<string, number>();
  const reach = (customer: string, at: number) =>
    clockUpTo.set(customer, Math.max(clockUpTo.get(customer) ?? Number.NEGATIVE_INFINITY, at));
  let lastTick = Number.NEGATIVE_INFINITY;
  for (const item of items) {
    if ('tick' in item) {
      lastTick = Math.max(lastTick, item.tick);
      continue;
    }
    const event = item.event;
    const set = entryOf(ids, event.customer_id, () => new Set<string>());
    set.add(event.visitor_id);
    if (event.user_id) set.add(event.user_id);
    if (event.previous_id) set.add(event.previous_id);
    reach(event.customer_id, clockTime(event));
  }
  for (const customer of tickCustomers) reach(customer, lastTick);
  // A tick moves the clock of every customer in the batch, not only those with segments.
  if (lastTick > Number.NEGATIVE_INFINITY)
    for (const customer of ids.keys()) reach(customer, lastTick);
  return { ids, clockUpTo };
}
