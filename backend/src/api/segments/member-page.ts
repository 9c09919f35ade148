import type { StateStore } from '../../state/state-store';

/** Where a page of members starts: the store's own cursor, and how many of its page to skip. */
interface Position {
  store: string | null;
  skip: number;
}

const encode = (position: Position): string =>
  Buffer.from(JSON.stringify([position.store, position.skip])).toString('base64url');

/** The position an API cursor names, or null for a cursor this API did not make. */
export function decodeMemberCursor(cursor: string): Position | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [store, skip] = value as unknown[];
    if (store !== null && (typeof store !== 'string' || store.length > 1000)) return null;
    if (typeof skip !== 'number' || !Number.isSafeInteger(skip) || skip < 0) return null;
    return { store, skip };
  } catch {
    return null;
  }
}

/**
 * A page of at most `limit` members and the cursor of the next page (null after the last).
 *
 * The API's cursor wraps the store's: the embedded store pages by id and honours `limit`, but
 * Redis's SSCAN treats the count as a hint (a small set comes back whole), so a store page is
 * cut to `limit` here and the next page resumes inside it.
 */
export async function memberPage(
  store: StateStore,
  customer: string,
  segment: string,
  start: Position,
  limit: number,
): Promise<{ ids: string[]; next: string | null }> {
  const ids: string[] = [];
  let position = start;
  while (ids.length < limit) {
    const page = await store.members(customer, segment, position.store, limit);
    const rest = page.ids.slice(position.skip);
    const taken = rest.slice(0, limit - ids.length);
    ids.push(...taken);
    if (taken.length < rest.length) {
      return { ids, next: encode({ store: position.store, skip: position.skip + taken.length }) };
    }
    if (page.next === null) return { ids, next: null };
    position = { store: page.next, skip: 0 };
  }
  return { ids, next: encode(position) };
}

/** Every member of a segment (every page read). */
export async function allMembers(
  store: StateStore,
  customer: string,
  segment: string,
): Promise<Set<string>> {
  const seen = new Set<string>();
  let cursor: string | null = null;
  do {
    const page: { ids: string[]; next: string | null } = await store.members(
      customer,
      segment,
      cursor,
      1000,
    );
    for (const id of page.ids) seen.add(id);
    cursor = page.next;
  } while (cursor !== null);
  return seen;
}
