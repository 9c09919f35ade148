import type { PulseEvent, SegmentChange, SegmentDefinition } from '@pulse/contract';
import { parseWindow } from '@pulse/contract/schema';
import { ruleMatches } from '../../segments/rule-match';
import type { ApiContext } from '../api-context';
import { allMembers } from './member-page';

/**
 * Events per batch of a backfill's replay: what another customer's batch may have to wait
 * for (about as much work as one full edge request).
 */
export const BACKFILL_SLICE_EVENTS = 500;

/** What backfilling a segment did, as the API answers it. */
export interface BackfillResult {
  /** Start of the history read (ISO 8601): the customer's clock, or now, minus the window. */
  from: string;
  /** Events of the window read from the warehouse (of the rule's type and name). */
  events_scanned: number;
  /** Of those, the events that match the rule, replayed through the processor. */
  events_replayed: number;
  /** Members of the segment once the history is in. */
  members: number;
  /** Members under the previous rule that the new one does not keep: they exit (`redefined`). */
  exited: number;
}

/**
 * Where the history of a rule's window starts: the processor keeps evidence newer than the
 * customer's clock (its newest event time; now when it has none) minus the window, so a
 * backfill reads exactly that history.
 */
export async function windowStart(
  context: Pick<ApiContext, 'store' | 'now'>,
  customer: string,
  rule: SegmentDefinition['rule'],
): Promise<{ clock: number | null; from: number }> {
  const [clock = null] = await context.store.clocks([customer]);
  return { clock, from: historyStart(rule, clock, context.now()) };
}

/**
 * Where the history of a rule's window starts for an engine whose clock is `clock` (null
 * before the customer's first event): the clock, or `now` when earlier, minus the window.
 */
export function historyStart(
  rule: SegmentDefinition['rule'],
  clock: number | null,
  now: number,
): number {
  const windowMs = parseWindow(rule.window);
  if (windowMs === null) throw new Error(`unvalidated window ${rule.window}`);
  return Math.min(now, clock ?? Number.POSITIVE_INFINITY) - windowMs;
}

/**
 * The events of a customer's history from `from` that meet `rule`, in slices of
 * BACKFILL_SLICE_EVENTS, counting in `counts` the events read (of the rule's type and name)
 * and those that matched. What a backfill replays, whichever engine replays it.
 */
export async function* matchingHistory(
  warehouse: Pick<ApiContext['warehouse'], 'eventsSince'>,
  customer: string,
  rule: SegmentDefinition['rule'],
  from: number,
  counts: { scanned: number; replayed: number },
): AsyncGenerator<PulseEvent[]> {
  const history = warehouse.eventsSince(customer, new Date(from), {
    eventType: rule.event_type,
    eventName: rule.event_name,
  });
  for await (const page of history) {
    counts.scanned += page.length;
    const matching = page.filter((event) => ruleMatches(rule, event));
    counts.replayed += matching.length;
    for (let at = 0; at < matching.length; at += BACKFILL_SLICE_EVENTS)
      yield matching.slice(at, at + BACKFILL_SLICE_EVENTS);
  }
}

/**
 * Fills a new (or redefined) segment from the warehouse history of its window: the events of
 * the last `window` that match the rule go through the processor again. The definition must be
 * stored first. The processor is idempotent on event_id, so the replay adds only this
 * segment's evidence and memberships: other segments, identity and counts stay as they were
 * (segments-api-backfill.test.ts holds that). The members enter with `reason: "rule"` at the
 * customer's clock, like any member, so triggers hear them.
 *
 * A redefined segment passes the members announced under its previous rule: those the new
 * rule keeps do not enter again, and the others exit with `reason: "redefined"`, so a trigger
 * on exit hears everyone who left.
 *
 * The warehouse keeps 7 days of events: a longer window is filled from those 7 days.
 */
export async function backfillSegment(
  context: Pick<ApiContext, 'warehouse' | 'store' | 'processor' | 'now'>,
  customer: string,
  definition: SegmentDefinition,
  previousMembers: ReadonlySet<string> = new Set(),
): Promise<BackfillResult> {
  // Batches planned before the definition was stored did not see it: let them reach the
  // warehouse, where the history read below finds their events.
  await context.processor.idle();
  const { clock, from } = await windowStart(context, customer, definition.rule);
  const alreadyIn = (change: SegmentChange) =>
    change.change === 'enter' &&
    change.customer_id === customer &&
    change.segment_id === definition.id &&
    previousMembers.has(change.id);
  const counts = { scanned: 0, replayed: 0 };
  // The replay goes through the one processing queue that every customer's batches share: in
  // slices, each a batch of its own, so a batch of another customer waits for one slice at
  // most, never for a whole window of history.
  for await (const slice of matchingHistory(
    context.warehouse,
    customer,
    definition.rule,
    from,
    counts,
  ))
    await context.processor.process(slice, alreadyIn);
  const members = await allMembers(context.store, customer, definition.id);
  const at = new Date(clock ?? context.now()).toISOString();
  const exits = [...previousMembers]
    .filter((id) => !members.has(id))
    .sort()
    .map((id): SegmentChange => ({
      customer_id: customer,
      segment_id: definition.id,
      id,
      change: 'exit',
      at,
      reason: 'redefined',
    }));
  if (exits.length) await context.processor.announce(exits);
  return {
    from: new Date(from).toISOString(),
    events_scanned: counts.scanned,
    events_replayed: counts.replayed,
    members: members.size,
    exited: exits.length,
  };
}
