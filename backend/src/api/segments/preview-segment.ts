import type { SegmentDefinition } from '@pulse/contract';
import { ruleMatches } from '../../segments/rule-match';
import type { ApiContext } from '../api-context';
import { windowStart } from './backfill-segment';

/** Most events a preview reads; past it the answer says it is partial. */
export const PREVIEW_MAX_EVENTS = 100_000;

/** What a rule would select today, as `POST /v1/segments/preview` answers it. */
export interface SegmentPreview {
  /** Start of the history read (ISO 8601): the customer's clock, or now, minus the window. */
  from: string;
  /** Events of the window read (of the rule's type and name). */
  events_scanned: number;
  /** Of those, the events that match the rule. */
  events_matched: number;
  /** Profiles with at least `min_count` matching events in the window: the members it would have. */
  members: number;
  /** False when the window held more than PREVIEW_MAX_EVENTS events: the counts are of those. */
  complete: boolean;
}

/**
 * How many profiles a rule would hold if the segment were created now, without creating it:
 * the history a backfill would replay (backfill-segment.ts), matched with the processor's
 * rule matcher and counted per profile (the user a source is linked to, else the source), so
 * the editor can show the size of a segment as its rule is typed. Reads only; nothing is
 * stored or announced.
 */
export async function previewSegment(
  context: Pick<ApiContext, 'warehouse' | 'store' | 'now'>,
  customer: string,
  rule: SegmentDefinition['rule'],
): Promise<SegmentPreview> {
  const { from } = await windowStart(context, customer, rule);
  const matchedBySource = new Map<string, Set<string>>();
  let scanned = 0;
  let matched = 0;
  let complete = true;
  const history = context.warehouse.eventsSince(customer, new Date(from), {
    eventType: rule.event_type,
    eventName: rule.event_name,
  });
  for await (const page of history) {
    if (scanned >= PREVIEW_MAX_EVENTS) {
      complete = false;
      break;
    }
    scanned += page.length;
    for (const event of page) {
      if (!ruleMatches(rule, event)) continue;
      matched += 1;
      const source = event.user_id ?? event.visitor_id;
      const ids = matchedBySource.get(source) ?? new Set<string>();
      ids.add(event.event_id);
      matchedBySource.set(source, ids);
    }
  }
  const sources = [...matchedBySource.keys()];
  const links = await context.store.links(sources.map((id) => ({ customer, id })));
  const byProfile = new Map<string, Set<string>>();
  sources.forEach((source, i) => {
    const profile = links[i] ?? source;
    const ids = byProfile.get(profile) ?? new Set<string>();
    for (const id of matchedBySource.get(source)!) ids.add(id);
    byProfile.set(profile, ids);
  });
  const members = [...byProfile.values()].filter((ids) => ids.size >= rule.min_count).length;
  return {
    from: new Date(from).toISOString(),
    events_scanned: scanned,
    events_matched: matched,
    members,
    complete,
  };
}
