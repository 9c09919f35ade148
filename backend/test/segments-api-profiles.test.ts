import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PulseEvent } from '@pulse/contract';
import { makeEvent } from './warehouse-fixtures';
import { minutesAgo, pageView, startApiBackend, viewsOf } from './segments-api-fixtures';

type Api = Awaited<ReturnType<typeof startApiBackend>>;
type Profile = {
  id: string;
  user_id: string | null;
  visitor_ids: string[];
  segments: Array<{ id: string; until: string }>;
  events: number;
};

const WEEK = 7 * 864e5;
/** v1 browses pricing, logs in as u1 and comes back on a phone (v2); v3 and v4 stay anonymous. */
const traffic: PulseEvent[] = [
  pageView('cust_a', 'a1', 'v1', '/pricing', 50),
  pageView('cust_a', 'a2', 'v1', '/pricing', 40),
  makeEvent({
    customer_id: 'cust_a',
    event_id: 'a3',
    visitor_id: 'v1',
    user_id: 'u1',
    event_type: 'identify',
    timestamp: minutesAgo(30),
  }),
  pageView('cust_a', 'a4', 'v2', '/home', 20, { user_id: 'u1' }),
  pageView('cust_a', 'b1', 'v3', '/pricing', 15),
  pageView('cust_a', 'b2', 'v3', '/pricing', 10),
  pageView('cust_a', 'c1', 'v4', '/docs', 5),
];
const at = (eventId: string) => Date.parse(traffic.find((e) => e.event_id === eventId)!.timestamp);

let api: Api;
const profile = (id: string) => api.call<Profile>('GET', `/v1/profiles/${id}`);

beforeAll(async () => {
  api = await startApiBackend();
  await api.call('POST', '/v1/segments', { body: viewsOf('pricing', '/pricing', 2) });
  await api.backend.processor.process(traffic);
});
afterAll(async () => {
  await api?.stop();
});

describe('profile view', () => {
  it('shows a stitched user under any of its ids, with its segments', async () => {
    const expected: Profile = {
      id: 'u1',
      user_id: 'u1',
      visitor_ids: ['v1', 'v2'],
      // Two views: the membership lasts until the older one leaves the 7-day window.
      segments: [{ id: 'pricing', until: new Date(at('a1') + WEEK).toISOString() }],
      events: 4,
    };
    for (const id of ['u1', 'v1', 'v2']) {
      const answer = await profile(id);
      expect(answer.status).toBe(200);
      expect({ ...answer.body, visitor_ids: answer.body.visitor_ids.sort() }).toEqual(expected);
    }
  });

  it('shows an anonymous visitor as itself, with or without segments', async () => {
    expect((await profile('v3')).body).toEqual({
      id: 'v3',
      user_id: null,
      visitor_ids: ['v3'],
      segments: [{ id: 'pricing', until: new Date(at('b1') + WEEK).toISOString() }],
      events: 2,
    });
    expect((await profile('v4')).body).toEqual({
      id: 'v4',
      user_id: null,
      visitor_ids: ['v4'],
      segments: [],
      events: 1,
    });
    const unknown = await api.call<{ error: { code: string } }>('GET', '/v1/profiles/nobody');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });
});

describe('what decide answers for a profile', () => {
  type Decide = { visitor_id: string; id: string; segments: string[]; actions: unknown[] };
  const decide = (id: string) => api.call<Decide>('GET', `/v1/profiles/${id}/decide`);

  it('answers for a user as its signed-in pages are answered, from any of its ids', async () => {
    for (const id of ['u1', 'v1', 'v2']) {
      const answer = await decide(id);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id: 'u1', segments: ['pricing'], actions: [] });
    }
  });

  it('answers for an anonymous visitor, member or not, and 404 for nobody', async () => {
    expect((await decide('v3')).body).toEqual({
      visitor_id: 'v3',
      id: 'v3',
      segments: ['pricing'],
      actions: [],
    });
    expect((await decide('v4')).body).toMatchObject({ id: 'v4', segments: [] });
    expect((await decide('nobody')).status).toBe(404);
    expect((await api.call('GET', '/v1/profiles/u1/decide', { key: 'sk_b' })).status).toBe(404);
    expect((await api.call('GET', '/v1/profiles/u1/decide', { key: null })).status).toBe(401);
  });
});

describe('profile deletion', () => {
  it('deletes the whole person from the state store and the warehouse, and nobody else', async () => {
    const { store, warehouse } = api.backend;
    const since = new Date(Date.now() - 3_600_000);
    const until = new Date(Date.now() + 60_000);
    const rollupsBefore = await warehouse.rollups('cust_a', since, until);
    const v3Before = (await profile('v3')).body;
    expect((await warehouse.identities('cust_a')).map((l) => l.source_id).sort()).toEqual([
      'v1',
      'v2',
    ]);

    const answer = await api.call<{ deleted: { id: string; ids: string[]; events: number } }>(
      'DELETE',
      '/v1/profiles/v2',
    );
    expect(answer.status).toBe(200);
    expect({ ...answer.body.deleted, ids: answer.body.deleted.ids.sort() }).toEqual({
      id: 'u1',
      ids: ['u1', 'v1', 'v2'],
      events: 4,
    });

    // Gone from the API under every id.
    for (const id of ['u1', 'v1', 'v2']) expect((await profile(id)).status).toBe(404);
    expect((await api.call('DELETE', '/v1/profiles/u1')).status).toBe(404);
    // Gone from the warehouse: events, links, segment changes.
    expect(await warehouse.profileEventCount('cust_a', ['u1', 'v1', 'v2'])).toBe(0);
    expect(await warehouse.eventCount('cust_a')).toBe(3);
    expect(await warehouse.identities('cust_a')).toEqual([]);
    const changes = await warehouse.segmentChanges('cust_a');
    expect(changes.map((c) => `${c.change}:${c.id}`)).toEqual(['enter:v3']);
    // Gone from the state store: links, sources, evidence, membership.
    const refs = ['u1', 'v1', 'v2'].map((id) => ({ customer: 'cust_a', id }));
    expect(await store.links(refs)).toEqual([null, null, null]);
    expect(await store.sources(refs)).toEqual([[], [], []]);
    const evidence = await store.evidence(
      refs.map((r) => ({ ...r, segment: 'pricing', source: r.id })),
    );
    expect(evidence.map((e) => e.size)).toEqual([0, 0, 0]);
    expect(await store.memberships(refs.map((r) => ({ ...r, segment: 'pricing' })))).toEqual([
      null,
      null,
      null,
    ]);
    expect((await api.call('GET', '/v1/segments/pricing/members')).body.members).toEqual(['v3']);

    // Everyone else is untouched; the rollups keep their counts (they hold no ids).
    expect((await profile('v3')).body).toEqual(v3Before);
    expect((await profile('v4')).status).toBe(200);
    expect(await warehouse.rollups('cust_a', since, until)).toEqual(rollupsBefore);
  });

  it('treats what the same visitor sends afterwards as a new, anonymous profile', async () => {
    await api.backend.processor.process([pageView('cust_a', 'd1', 'v1', '/pricing', 1)]);
    expect((await profile('v1')).body).toEqual({
      id: 'v1',
      user_id: null,
      visitor_ids: ['v1'],
      segments: [],
      events: 1,
    });
  });
});
