import type { IdentityLink, PulseEvent, SegmentChange } from '@pulse/contract';
import { ruleMatches } from '../segments/rule-match';
import type { StateChanges, StateStore } from '../state/state-store';
import { compareStrings, WorkingState, type BatchFootprint } from './working-state';

/** One step of a stream: an event, or the wall clock moving on. */
export type StreamItem = { event: PulseEvent } | { tick: number };

/** What a batch does, computed before anything is written. */
export interface BatchPlan {
  changes: SegmentChange[];
  links: IdentityLink[];
  state: StateChanges;
}

const iso = (ms: number) => new Date(ms).toISOString();
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

  const expire = (customer: string) => {
    for (const due of state.dueMembers(customer, state.clockOf(customer))) {
      state.setMember(customer, due.segment, due.id, null);
      changes.push(change(customer, due.segment, due.id, 'exit', due.end, 'window'));
    }
  };

  for (const item of items) {
    if ('tick' in item) {
      for (const customer of [...footprint.clockUpTo.keys()].sort(compareStrings)) {
        state.advanceClock(customer, item.tick);
        expire(customer);
      }
      continue;
    }
    const event = item.event;
    const customer = event.customer_id;
    const now = state.advanceClock(customer, clockTime(event));
    expire(customer);

    const segments = state.segments.get(customer) ?? [];
    const touched = new Set<string>();
    const merged: SegmentChange[] = [];
    const link = (source: string, user: string) => {
      const target = state.canonical(customer, user);
      if (source === target || state.linkOf(customer, source) != null) return;
      const moved = [source, ...state.sourcesOf(customer, source)];
      state.clearSources(customer, source);
      for (const id of moved) {
        state.setLink(customer, id, target);
        links.push({
          customer_id: customer,
          source_id: id,
          user_id: target,
          at: event.timestamp,
          event_id: event.event_id,
        });
      }
      for (const { definition } of segments) {
        if (state.memberEnd(customer, definition.id, source) == null) continue;
        state.setMember(customer, definition.id, source, null);
        merged.push(change(customer, definition.id, source, 'exit', now, 'merged'));
      }
      touched.add(target);
    };
    if (event.user_id && event.user_id !== event.visitor_id) link(event.visitor_id, event.user_id);
    if (event.event_type === 'alias' && event.previous_id && event.user_id) {
      link(event.previous_id, event.user_id);
    }
    changes.push(...merged.sort(bySegmentThenId));

    const source = event.user_id ?? event.visitor_id;
    const at = eventTime(event);
    for (const { definition, windowMs } of segments) {
      if (at <= now - windowMs || !ruleMatches(definition.rule, event)) continue;
      state.addEvidence(customer, definition.id, source, event.event_id, at);
      touched.add(state.canonical(customer, source));
    }

    const entered: SegmentChange[] = [];
    for (const id of touched) {
      for (const { definition, windowMs } of segments) {
        const end = membershipEnd(
          state,
          customer,
          definition.id,
          id,
          windowMs,
          definition.rule.min_count,
          now,
        );
        const wasMember = state.memberEnd(customer, definition.id, id) != null;
        if (end != null) {
          state.setMember(customer, definition.id, id, end);
          if (!wasMember) entered.push(change(customer, definition.id, id, 'enter', now, 'rule'));
        } else if (wasMember) {
          // Evidence only grows between expiries, so this is reached only by a clock that
          // moved without an expiry pass; leave rather than keep a stale member.
          state.setMember(customer, definition.id, id, null);
          entered.push(change(customer, definition.id, id, 'exit', now, 'window'));
        }
      }
    }
    changes.push(...entered.sort(bySegmentThenId));
  }
  return { changes, links, state: state.changes() };
}

/**
 * When a profile's membership ends given its evidence up to `now`, or null when it is not a
 * member: `t_k + window` for the `minCount`-th newest evidence time `t_k` inside the window.
 */
function membershipEnd(
  state: WorkingState,
  customer: string,
  segment: string,
  profile: string,
  windowMs: number,
  minCount: number,
  now: number,
): number | null {
  const times: number[] = [];
  const seen = new Set<string>();
  for (const source of [profile, ...state.sourcesOf(customer, profile)]) {
    for (const [eventId, at] of state.evidenceOf(customer, segment, source)) {
      if (at > now || at <= now - windowMs || seen.has(eventId)) continue;
      seen.add(eventId);
      times.push(at);
    }
  }
  if (times.length < Math.max(1, minCount)) return null;
  times.sort((a, b) => b - a);
  return (times[Math.max(1, minCount) - 1] as number) + windowMs;
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
    let set = ids.get(event.customer_id);
    if (!set) ids.set(event.customer_id, (set = new Set()));
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

const change = (
  customer: string,
  segment: string,
  id: string,
  kind: SegmentChange['change'],
  at: number,
  reason: SegmentChange['reason'],
): SegmentChange => ({
  customer_id: customer,
  segment_id: segment,
  id,
  change: kind,
  at: iso(at),
  reason,
});

const bySegmentThenId = (a: SegmentChange, b: SegmentChange) =>
  compareStrings(a.segment_id, b.segment_id) || compareStrings(a.id, b.id);
