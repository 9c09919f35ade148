import type { IdentityLink } from '@pulse/contract';
import { emptyStateChanges, type StateChanges } from '../state/state-store';

/**
 * What loading one `pulse.identity` record commits: the link, the source's own set of sources
 * emptied (it belongs to a user now), and the source added to the user's set. The store adds
 * it to the user's canonical profile (`StateChanges.sourcesAdded`), so the links of one merge,
 * which sit in different partitions, leave the same state in whatever order they are loaded.
 * Idempotent: loading a record again changes nothing.
 */
export function linkChanges(link: IdentityLink): StateChanges {
  const customer = link.customer_id;
  return {
    ...emptyStateChanges(),
    links: [{ customer, source: link.source_id, user: link.user_id }],
    sourcesCleared: [{ customer, user: link.source_id }],
    sourcesAdded: [{ customer, user: link.user_id, sources: [link.source_id] }],
  };
}
