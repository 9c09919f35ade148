import { beforeAll, describe, expect, it } from 'vitest';
import { storeAdapters } from './store-adapters';
import { allMembers, decodeMemberCursor, memberPage } from '../src/api/segments/member-page';
import { emptyStateChanges, InvalidCursorError, type StateStore } from '../src/state/state-store';
import { viewsOf } from './segments-api-fixtures';

const { adapters, skipRedis } = storeAdapters('pulse-segments-api-state-');

/**
 * State as the processor leaves it for: u1 (stitched from v1 and v2, a member of both
 * segments, with evidence under v1 and u1) and v3 (anonymous, a member of `pricing`).
 */
async function seed(store: StateStore, customer: string) {
  for (const segment of ['pricing', 'docs'])
    await store.putDefinition(customer, viewsOf(segment, `/${segment}`, 1));
  const changes = emptyStateChanges();
  changes.clocks.push({ customer, at: 1_000 });
  changes.links.push(
    { customer, source: 'v1', user: 'u1' },
    { customer, source: 'v2', user: 'u1' },
  );
  changes.sourcesAdded.push({ customer, user: 'u1', sources: ['v1', 'v2'] });
  for (const segment of ['pricing', 'docs']) {
    changes.evidence.push(
      { customer, segment, source: 'v1', add: [[`${segment}-e1`, 100]], pruneUpTo: 0 },
      { customer, segment, source: 'u1', add: [[`${segment}-e2`, 200]], pruneUpTo: 0 },
    );
    changes.members.push({ customer, segment, id: 'u1', end: 5_000 });
  }
  changes.evidence.push({
    customer,
    segment: 'pricing',
    source: 'v3',
    add: [['e3', 300]],
    pruneUpTo: 0,
  });
  changes.members.push({ customer, segment: 'pricing', id: 'v3', end: 6_000 });
  await store.commit(changes);
}

describe.each(adapters)('StateStore.deleteProfile on %s', (_name, open, skip) => {
  let store: StateStore;
  beforeAll(() => {
    if (skip) return;
    store = open();
  });

  it.skipIf(skip)('forgets the profile found from any of its ids, and only it', async () => {
    await seed(store, 'cust_a');
    await seed(store, 'cust_b');
    const removed = await store.deleteProfile('cust_a', 'v2');
    expect(removed[0]).toBe('u1');
    expect([...removed].sort()).toEqual(['u1', 'v1', 'v2']);

    const ids = ['u1', 'v1', 'v2'].map((id) => ({ customer: 'cust_a', id }));
    expect(await store.links(ids)).toEqual([null, null, null]);
    expect(await store.sources(ids)).toEqual([[], [], []]);
    for (const segment of ['pricing', 'docs']) {
      const evidence = await store.evidence(ids.map((r) => ({ ...r, segment, source: r.id })));
      expect(evidence.map((e) => e.size)).toEqual([0, 0, 0]);
      expect(await store.memberships(ids.map((r) => ({ ...r, segment })))).toEqual([
        null,
        null,
        null,
      ]);
      // Not due for expiry either: the membership's end went with it.
      expect(await store.due([{ customer: 'cust_a', segment, upTo: 10_000 }])).toEqual([
        segment === 'pricing' ? [['v3', 6_000]] : [],
      ]);
    }
    expect((await store.members('cust_a', 'pricing', null, 100)).ids).toEqual(['v3']);
    const [v3] = await store.evidence([{ customer: 'cust_a', segment: 'pricing', source: 'v3' }]);
    expect([...(v3 ?? [])]).toEqual([['e3', 300]]);
    expect(await store.clocks(['cust_a'])).toEqual([1_000]);

    // The other customer's u1 is another person.
    expect(await store.links([{ customer: 'cust_b', id: 'v1' }])).toEqual(['u1']);
    expect(await store.memberships([{ customer: 'cust_b', segment: 'docs', id: 'u1' }])).toEqual([
      5_000,
    ]);

    expect(await store.deleteProfile('cust_a', 'u1')).toEqual([]);
    expect(await store.deleteProfile('cust_a', 'v3')).toEqual(['v3']);
    expect((await store.members('cust_a', 'pricing', null, 100)).ids).toEqual([]);
  });

  it.skipIf(skip)(
    'pages members through the API cursor exactly once each, whatever the store’s page size',
    async () => {
      const changes = emptyStateChanges();
      const ids = Array.from({ length: 57 }, (_, i) => `p${i}`);
      for (const id of ids)
        changes.members.push({ customer: 'cust_c', segment: 'big', id, end: 9_000 });
      await store.commit(changes);
      for (const limit of [1, 7, 57, 100]) {
        const seen: string[] = [];
        let position = { store: null as string | null, skip: 0 };
        let pages = 0;
        for (;;) {
          const page = await memberPage(store, 'cust_c', 'big', position, limit);
          expect(page.ids.length).toBeLessThanOrEqual(limit);
          seen.push(...page.ids);
          pages += 1;
          if (!page.next) break;
          position = decodeMemberCursor(page.next)!;
        }
        expect(seen.sort()).toEqual([...ids].sort());
        expect(pages).toBeLessThanOrEqual(Math.ceil(57 / limit) + 1);
      }
      expect((await allMembers(store, 'cust_c', 'big')).size).toBe(57);
    },
  );
});

// The embedded store pages by id, so any string is a position in it; Redis's are integers.
describe.skipIf(skipRedis)('Redis member cursors', () => {
  it('refuses a forged member cursor as a cursor error, not a failure', async () => {
    // A client can make any API cursor: base64 of ["abc", 0] reached SSCAN, and Redis's
    // "ERR invalid cursor" answered 500.
    const store = adapters[1]![1]();
    const forged = decodeMemberCursor(Buffer.from('["abc",0]').toString('base64url'))!;
    await expect(memberPage(store, 'cust_c', 'big', forged, 10)).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });
});
