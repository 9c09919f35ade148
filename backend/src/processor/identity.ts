import type { IdentityLink, PulseEvent, SegmentChange } from '@pulse/contract';
import { segmentChange } from '../segments/membership';
import type { ActiveSegment, WorkingState } from './working-state';

/** What stitching one source to a user did. */
export interface Stitch {
  /** The canonical id the source now belongs to (its state is read under it). */
  target: string;
  /** Links written: the source and every source it carried, to the target. */
  links: IdentityLink[];
  /** Memberships the source held on its own, ended because it merged (`reason: merged`). */
  merged: SegmentChange[];
}

/**
 * Identity stitching (tests/vectors/README.md, "Identity"): links `source` (a visitor, or a
 * former user through an alias) to `user`'s canonical id. First link wins: a source already
 * linked stays where it is. A source that was itself a user brings its own sources along, and
 * whatever memberships it held alone end as `merged`: its evidence now counts for the target.
 * Returns null when nothing changes.
 */
export function stitch(
  state: WorkingState,
  segments: readonly ActiveSegment[],
  event: PulseEvent,
  source: string,
  user: string,
  now: number,
): Stitch | null {
  const customer = event.customer_id;
  const target = state.canonical(customer, user);
  if (source === target || state.linkOf(customer, source) != null) return null;
  const moved = [source, ...state.sourcesOf(customer, source)];
  state.clearSources(customer, source);
  const links: IdentityLink[] = [];
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
  const merged: SegmentChange[] = [];
  for (const { definition } of segments) {
    if (state.memberEnd(customer, definition.id, source) == null) continue;
    state.setMember(customer, definition.id, source, null);
    merged.push(segmentChange(customer, definition.id, source, 'exit', now, 'merged'));
  }
  return { target, links, merged };
}
