import type { IdentityLink } from '@pulse/contract';
import { emptyStateChanges, type StateChanges } from '../state/state-store';

/**
 * What loading `pulse.identity` records commits, in one commit: each link, each source's own
 * set of sources emptied (it belongs to a user now), and each source added to its user's set.
 * The store adds it to the user's canonical profile (`StateChanges.sourcesAdded`), read after
 * every link of the commit is set, so the links of one merge leave the same state in whatever
 * order they are loaded, and however they are cut into commits. Idempotent: loading records
 * again changes nothing.
 */
export function linkChanges(links: readonly IdentityLink[]): StateChanges {
  return {
    ...emptyStateChanges(),
    links: links.map((link) => ({
      customer: link.customer_id,
      source: link.source_id,
      user: link.user_id,
    })),
    sourcesCleared: links.map((link) => ({ customer: link.customer_id, user: link.source_id })),
    sourcesAdded: links.map((link) => ({
      customer: link.customer_id,
      user: link.user_id,
      sources: [link.source_id],
    })),
  };
}
