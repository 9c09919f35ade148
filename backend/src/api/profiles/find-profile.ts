import type { ApiContext } from '../api-context';

/** A profile as the state store and the warehouse know it. */
export interface FoundProfile {
  /** The canonical id: the user a source is linked to, else the id itself. */
  id: string;
  /** Whether the canonical id is a user (something is linked to it, or it to something). */
  isUser: boolean;
  /** The sources linked to the canonical id. */
  sources: string[];
  /** Segments the profile is a member of, with the end of each membership (ms). */
  memberships: Array<{ segment: string; name?: string; until: number }>;
  /** Distinct events stored under any of its ids. */
  events: number;
}

/**
 * The profile `id` belongs to (a visitor linked to a user names that user), or null when
 * neither the state store nor the warehouse knows any of its ids.
 */
export async function findProfile(
  context: Pick<ApiContext, 'store' | 'warehouse'>,
  customer: string,
  id: string,
): Promise<FoundProfile | null> {
  const { store, warehouse } = context;
  const [link = null] = await store.links([{ customer, id }]);
  const canonical = link ?? id;
  const [[sources = []], [definitions = []]] = await Promise.all([
    store.sources([{ customer, id: canonical }]),
    store.definitions([customer]),
  ]);
  const [ends, events] = await Promise.all([
    store.memberships(definitions.map((d) => ({ customer, segment: d.id, id: canonical }))),
    warehouse.profileEventCount(customer, [canonical, ...sources]),
  ]);
  const memberships = definitions.flatMap((definition, i) => {
    const until = ends[i];
    return until == null ? [] : [{ segment: definition.id, name: definition.name, until }];
  });
  const isUser = link !== null || sources.length > 0;
  if (!isUser && memberships.length === 0 && events === 0) return null;
  return { id: canonical, isUser, sources, memberships, events };
}
