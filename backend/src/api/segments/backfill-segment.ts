import type { SegmentDefinition } from '@pulse/contract';
import { parseWindow } from '@pulse/contract/schema';
import { ruleMatches } from '../../segments/rule-match';
import type { ApiContext } from '../api-context';
import { countMembers } from './member-page';

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
}

/**
 * Fills a new (or redefined) segment from the warehouse history of its window: the events of
 * the last `window` that match the rule go through the processor again. The definition must be
 * stored first. The processor is idempotent on event_id, so the replay adds only this
 * segment's evidence and memberships: other segments, identity and counts stay as they were
 * (segments-api-backfill.test.ts holds that). The members enter with `reason: "rule"` at the
 * customer's clock, like any member, so triggers hear them.
 *
 * The warehouse keeps 7 days of events: a longer window is filled from those 7 days.
 */
export async function backfillSegment(
  context: Pick<ApiContext, 'warehouse' | 'store' | 'processor' | 'now'>,
  customer: string,
  definition: SegmentDefinition,
): Promise<BackfillResult> {
  const windowMs = parseWindow(definition.rule.window);
  if (windowMs === null) throw new Error(`unvalidated window ${definition.rule.window}`);
  // Batches planned before the definition was stored did not see it: let them reach the
  // warehouse, where the history read below finds their events.
  await context.processor.idle();
  const [clock] = await context.store.clocks([customer]);
  // The processor keeps evidence newer than clock - window; read exactly that history.
  const from = Math.min(context.now(), clock ?? Number.POSITIVE_INFINITY) - windowMs;
  let scanned = 0;
  let replayed = 0;
  const history = context.warehouse.eventsSince(customer, new Date(from), {
    eventType: definition.rule.event_type,
    eventName: definition.rule.event_name,
  });
  for await (const page of history) {
    scanned += page.length;
    const matching = page.filter((event) => ruleMatches(definition.rule, event));
    if (matching.length === 0) continue;
    replayed += matching.length;
    await context.processor.process(matching);
  }
  return {
    from: new Date(from).toISOString(),
    events_scanned: scanned,
    events_replayed: replayed,
    members: await countMembers(context.store, customer, definition.id),
  };
}
