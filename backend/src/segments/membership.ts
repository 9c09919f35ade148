import type { SegmentChange } from '@pulse/contract';
import { compareStrings, type ActiveSegment, type WorkingState } from '../processor/working-state';

/** A segment change record at `at` (ms). */
export const segmentChange = (
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
  at: new Date(at).toISOString(),
  reason,
});

/** The order changes of one step are announced in: by segment, then by profile. */
export const bySegmentThenId = (a: SegmentChange, b: SegmentChange) =>
  compareStrings(a.segment_id, b.segment_id) || compareStrings(a.id, b.id);

/**
 * Segment membership (tests/vectors/README.md, "Segments"): when a profile's membership ends
 * given its evidence up to `now`, or null when it is not a member: `t_k + window` for the
 * `minCount`-th newest distinct evidence time `t_k` inside the window, over the profile and
 * every source stitched to it.
 */
export function membershipEnd(
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

/** Members whose window the customer's clock has passed leave (`reason: window`). */
export function expireMembers(state: WorkingState, customer: string): SegmentChange[] {
  const changes: SegmentChange[] = [];
  for (const due of state.dueMembers(customer, state.clockOf(customer))) {
    state.setMember(customer, due.segment, due.id, null);
    changes.push(segmentChange(customer, due.segment, due.id, 'exit', due.end, 'window'));
  }
  return changes;
}

/**
 * Re-evaluates the memberships of the profiles an event touched: a profile that now meets a
 * rule enters (or has its end moved), one that no longer does leaves.
 */
export function updateMemberships(
  state: WorkingState,
  customer: string,
  segments: readonly ActiveSegment[],
  touched: Iterable<string>,
  now: number,
): SegmentChange[] {
  const changes: SegmentChange[] = [];
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
        if (!wasMember)
          changes.push(segmentChange(customer, definition.id, id, 'enter', now, 'rule'));
      } else if (wasMember) {
        // Evidence only grows between expiries, so this is reached only by a clock that
        // moved without an expiry pass; leave rather than keep a stale member.
        state.setMember(customer, definition.id, id, null);
        changes.push(segmentChange(customer, definition.id, id, 'exit', now, 'window'));
      }
    }
  }
  return changes.sort(bySegmentThenId);
}
