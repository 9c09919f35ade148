import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../tests/services/free-port';
import {
  UNFINISHED_WRITE_KIND,
  WRITE_LEASE_KIND,
  WRITE_LEASE_MS,
  type UnfinishedWrite,
} from '../src/api/segments/segment-writes';
import { readEventsSince } from '../src/warehouse/event-history';
import { openChdbClient } from '../src/warehouse/open-client';
import type { PulseEvent, SegmentChange, SegmentDefinition } from '@pulse/contract';
import { makeEvent } from './warehouse-fixtures';
import { minutesAgo, pageView, startApiBackend, viewsOf } from './segments-api-fixtures';

type Api = Awaited<ReturnType<typeof startApiBackend>>;
type Write = {
  segment: { id: string };
  backfill: {
    from: string;
    events_scanned: number;
    events_replayed: number;
    members: number;
    exited: number;
  };
};

const HOUR = 60;
const DAY = 24 * HOUR;

const click = (
  customer: string,
  eventId: string,
  visitor: string,
  name: string,
  minutes: number,
  userId: string | null = null,
): PulseEvent =>
  makeEvent({
    customer_id: customer,
    event_id: eventId,
    visitor_id: visitor,
    user_id: userId,
    event_type: 'click',
    event_name: name,
    timestamp: minutesAgo(minutes),
  });

/**
 * History before any of the new segments exists: v1 views pricing twice and logs in as u1,
 * clicks "buy" from several visitors at several ages, and another customer's click.
 */
const history = (): PulseEvent[] => [
  pageView('cust_a', 'p1', 'v1', '/pricing', 3 * DAY),
  pageView('cust_a', 'p2', 'v1', '/pricing', 2 * DAY),
  makeEvent({
    customer_id: 'cust_a',
    event_id: 'login',
    visitor_id: 'v1',
    user_id: 'u1',
    event_type: 'identify',
    timestamp: minutesAgo(DAY),
  }),
  click('cust_a', 'c-old', 'v3', 'buy', 2 * DAY),
  click('cust_a', 'c-u1', 'v1', 'buy', 10 * HOUR, 'u1'),
  click('cust_a', 'c-v4a', 'v4', 'buy', 3 * HOUR),
  click('cust_a', 'c-v4b', 'v4', 'buy', 2 * HOUR),
  click('cust_a', 'c-v5', 'v5', 'signup', HOUR),
  pageView('cust_a', 'p3', 'v2', '/pricing', 30),
  click('cust_a', 'c-v3', 'v3', 'buy', 20),
  click('cust_b', 'b-1', 'v1', 'buy', 5),
];

let api: Api;
const members = async (segment: string) =>
  (await api.call<{ members: string[] }>('GET', `/v1/segments/${segment}/members?limit=1000`)).body
    .members;
const create = async (body: unknown) => {
  const answer = await api.call<Write>('POST', '/v1/segments', { body });
  expect(answer.status).toBe(201);
  return answer.body.backfill;
};

beforeAll(async () => {
  // The backend finishes writes left unfinished every 100 ms (the last describe).
  api = await startApiBackend({ finishSegmentWritesEveryMs: 100 });
  await create(viewsOf('pricing_twice', '/pricing', 2));
  await api.backend.processor.process(history());
});
afterAll(async () => {
  await api?.stop();
});

type Heard = Pick<SegmentChange, 'segment_id' | 'id' | 'change' | 'reason'>;
const enter = (segment: string, id: string): Heard => ({
  segment_id: segment,
  id,
  change: 'enter',
  reason: 'rule',
});
const exit = (segment: string, id: string): Heard => ({
  segment_id: segment,
  id,
  change: 'exit',
  reason: 'redefined',
});
const byId = (a: Heard, b: Heard) => a.id.localeCompare(b.id);
/** The changes the processor wrote out while `work` ran, in order. */
const changesDuring = async (work: () => Promise<unknown>): Promise<Heard[]> => {
  const heard: Heard[] = [];
  const unsubscribe = api.backend.live.subscribe((batch) => {
    for (const { segment_id, id, change, reason } of batch.changes)
      heard.push({ segment_id, id, change, reason });
  });
  try {
    await work();
  } finally {
    unsubscribe();
  }
  return heard;
};
/** PUTs a rule of clicks (named `name`, or any) in the last day; checks the backfill's answer. */
const redefine = async (segment: string, name: string | undefined, expected: object = {}) => {
  const rule = { event_type: 'click', event_name: name, min_count: 1, window: '1d' };
  const answer = await api.call<Write>('PUT', `/v1/segments/${segment}`, { body: { rule } });
  expect(answer.status).toBe(200);
  expect(answer.body.backfill).toMatchObject(expected);
};

describe('backfill of a new segment', () => {
  it('fills the segment from its window of history and changes nothing else', async () => {
    const { backend } = api;
    const { warehouse, store } = backend;
    // Rollups live 24 h from event time (a merge may drop older minutes at any moment).
    const since = new Date(Date.now() - 20 * 3_600_000);
    const until = new Date(Date.now() + 60_000);
    const snapshot = async () => ({
      counts: [await warehouse.eventCount('cust_a'), await warehouse.eventCount('cust_b')],
      identities: await warehouse.identities('cust_a'),
      rollups: await warehouse.rollups('cust_a', since, until),
      changes: await warehouse.segmentChanges('cust_a'),
      pricingMembers: await members('pricing_twice'),
      pricingEvidence: (
        await store.evidence(
          ['v1', 'u1', 'v2'].map((source) => ({
            customer: 'cust_a',
            segment: 'pricing_twice',
            source,
          })),
        )
      ).map((evidence) => [...evidence.keys()].sort()),
      memberEnds: await store.memberships([
        { customer: 'cust_a', segment: 'pricing_twice', id: 'u1' },
      ]),
      clock: await store.clocks(['cust_a', 'cust_b']),
    });
    const before = await snapshot();
    expect(before.pricingMembers).toEqual(['u1']);
    expect(before.counts).toEqual([10, 1]);
    expect(before.rollups).toHaveLength(6);

    const heard: SegmentChange[] = [];
    const unsubscribe = backend.live.subscribe((batch) => heard.push(...batch.changes));
    // Clicks named "buy" in the last day: not v3's of two days ago, and not customer B's.
    const buyers = await create({
      id: 'buyers',
      rule: { event_type: 'click', event_name: 'buy', min_count: 1, window: '1d' },
    });
    expect(buyers).toMatchObject({ events_scanned: 4, events_replayed: 4, members: 3 });
    // The user's click counts for the user; v4's two clicks make v4 a member once.
    expect(await members('buyers')).toEqual(['u1', 'v3', 'v4']);
    const twice = await create({
      id: 'buy_twice',
      rule: { event_type: 'click', event_name: 'buy', min_count: 2, window: '1d' },
    });
    expect(twice).toMatchObject({ events_scanned: 4, members: 1 });
    expect(await members('buy_twice')).toEqual(['v4']);
    // Only v2's view is inside the hour; v1's views are days old.
    const recent = await create(viewsOf('pricing_recent', '/pricing', 1, '1h'));
    expect(recent).toMatchObject({ events_scanned: 1, events_replayed: 1, members: 1 });
    expect(await members('pricing_recent')).toEqual(['v2']);
    // Views made anonymously before the login count for the user they were stitched into.
    const fans = await create(viewsOf('pricing_fans', '/pricing', 2, '7d'));
    expect(fans).toMatchObject({ events_scanned: 3, events_replayed: 3, members: 1 });
    expect(await members('pricing_fans')).toEqual(['u1']);
    unsubscribe();

    // The replays entered the new segments' members, and nothing else happened.
    const entered = (segment: string, ids: string[]) =>
      ids.map((id) => ({ segment_id: segment, id, change: 'enter', reason: 'rule' }));
    const sortChanges = (changes: SegmentChange[]) =>
      changes
        .map(({ segment_id, id, change, reason }) => ({ segment_id, id, change, reason }))
        .sort((a, b) => `${a.segment_id}/${a.id}`.localeCompare(`${b.segment_id}/${b.id}`));
    const expected = [
      ...entered('buy_twice', ['v4']),
      ...entered('buyers', ['u1', 'v3', 'v4']),
      ...entered('pricing_fans', ['u1']),
      ...entered('pricing_recent', ['v2']),
    ];
    expect(sortChanges(heard)).toEqual(expected);
    const after = await snapshot();
    const newSegments = new Set(['buyers', 'buy_twice', 'pricing_recent', 'pricing_fans']);
    expect(after.changes.filter((c) => !newSegments.has(c.segment_id))).toEqual(before.changes);
    expect(sortChanges(after.changes.filter((c) => newSegments.has(c.segment_id)))).toEqual(
      expected,
    );
    expect({ ...after, changes: [] }).toEqual({ ...before, changes: [] });
  });

  it('counts events that arrive after the segment is created, once', async () => {
    const late = click('cust_a', 'c-v6', 'v6', 'buy', 1);
    await api.backend.processor.process([late, late]);
    expect(await members('buyers')).toEqual(['u1', 'v3', 'v4', 'v6']);
    const [evidence] = await api.backend.store.evidence([
      { customer: 'cust_a', segment: 'buyers', source: 'v6' },
    ]);
    expect([...(evidence?.keys() ?? [])]).toEqual(['c-v6']);
  });

  it('rebuilds the members from history when the rule changes', async () => {
    expect(await members('buyers')).toEqual(['u1', 'v3', 'v4', 'v6']);
    const heard = await changesDuring(() =>
      redefine('buyers', 'signup', {
        events_scanned: 1,
        events_replayed: 1,
        members: 1,
        exited: 4,
      }),
    );
    expect(await members('buyers')).toEqual(['v5']);
    const [evidence] = await api.backend.store.evidence([
      { customer: 'cust_a', segment: 'buyers', source: 'v4' },
    ]);
    expect(evidence?.size).toBe(0);
    // Everyone the new rule does not keep leaves, and says so: a trigger on exit hears them.
    expect(heard).toEqual([
      enter('buyers', 'v5'),
      ...['u1', 'v3', 'v4', 'v6'].map((id) => exit('buyers', id)),
    ]);
  });

  it('does not announce again the members a redefinition keeps', async () => {
    // Any click in the last day: v5 (a member by its signup) stays, the others come back.
    const widened = await changesDuring(() => redefine('buyers', undefined, { exited: 0 }));
    expect(await members('buyers')).toEqual(['u1', 'v3', 'v4', 'v5', 'v6']);
    expect(widened.sort(byId)).toEqual(['u1', 'v3', 'v4', 'v6'].map((id) => enter('buyers', id)));
    const narrowed = await changesDuring(() => redefine('buyers', 'signup', { exited: 4 }));
    expect(await members('buyers')).toEqual(['v5']);
    expect(narrowed).toEqual(['u1', 'v3', 'v4', 'v6'].map((id) => exit('buyers', id)));
    // The warehouse keys a change by profile, kind and event time: both redefinitions ran at
    // one customer clock, so their exits are one row each.
    const stored = (await api.backend.warehouse.segmentChanges('cust_a'))
      .filter((change) => change.segment_id === 'buyers' && change.reason === 'redefined')
      .map((change) => change.id)
      .sort();
    expect(stored).toEqual(['u1', 'v3', 'v4', 'v6']);
  });

  it('reads history from the customer’s clock minus the window', async () => {
    const [clock] = await api.backend.store.clocks(['cust_a']);
    const answer = await api.call<Write>('POST', '/v1/segments', {
      body: viewsOf('hour', '/none', 1, '1h'),
    });
    expect(Date.parse(answer.body.backfill.from)).toBe(
      Math.min(clock ?? Infinity, Date.now()) - 3_600_000,
    );
  });
});

/**
 * A backend that stops (or fails) in the middle of a segment write leaves it recorded as
 * unfinished (segment-writes.ts); the backend running the processor finishes it. Each test
 * leaves the state such a backend leaves, writing the record last so that the finisher (every
 * 100 ms here) never sees half of it, and waits for the finisher.
 */
describe('a segment write left unfinished', () => {
  const customer = 'cust_a';
  const anyClick = { event_type: 'click', min_count: 1, window: '1d' } as const;
  const signups = {
    event_type: 'click',
    event_name: 'signup',
    min_count: 1,
    window: '1d',
  } as const;
  /** Every visitor or user with a click in the last day, after the tests above. */
  const CLICKERS = ['u1', 'v3', 'v4', 'v5', 'v6'];
  /** Records `write` as unfinished and returns the changes heard until the backend finished it. */
  const finish = (id: string, write: UnfinishedWrite) =>
    changesDuring(async () => {
      const { store } = api.backend;
      await store.putDocument(customer, UNFINISHED_WRITE_KIND, id, write);
      await waitUntil(
        `the backend to finish the write of ${id}`,
        async () =>
          !(await store.listDocuments(customer, UNFINISHED_WRITE_KIND)).some((d) => d.id === id),
        30_000,
      );
    });

  it('fills a new segment whose backfill never ran, as a whole write would have', async () => {
    // Stored, then the backend stopped before the history.
    await api.backend.store.putDefinition(customer, { id: 'clickers_cut', rule: anyClick });
    const heard = await finish('clickers_cut', { kind: 'define' });
    expect(await members('clickers_cut')).toEqual(CLICKERS);
    expect(heard.sort(byId)).toEqual(CLICKERS.map((id) => enter('clickers_cut', id)));
    // The same rule written whole answers the same members.
    expect(await create({ id: 'clickers_whole', rule: anyClick })).toMatchObject({ members: 5 });
    expect(await members('clickers_whole')).toEqual(CLICKERS);
  });

  it('starts over a redefinition stopped before the old rule’s state was cleared', async () => {
    await create({ id: 'widened_cut', rule: signups });
    expect(await members('widened_cut')).toEqual(['v5']);
    // The new rule stored; the old rule's members and evidence still there.
    await api.backend.store.putDefinition(customer, { id: 'widened_cut', rule: anyClick });
    const heard = await finish('widened_cut', { kind: 'define', previous: ['v5'] });
    expect(await members('widened_cut')).toEqual(CLICKERS);
    // v5 was announced under the old rule and stays: it does not enter again.
    expect(heard.sort(byId)).toEqual(
      CLICKERS.filter((id) => id !== 'v5').map((id) => enter('widened_cut', id)),
    );
  });

  it('announces the exits of a redefinition stopped after the old members were cleared', async () => {
    await create({ id: 'narrowed_cut', rule: anyClick });
    expect(await members('narrowed_cut')).toEqual(CLICKERS);
    // The new rule stored and the old state cleared: the old members are only in the record.
    await api.backend.store.putDefinition(customer, { id: 'narrowed_cut', rule: signups });
    await api.backend.store.clearSegment(customer, 'narrowed_cut');
    expect(await members('narrowed_cut')).toEqual([]);
    const heard = await finish('narrowed_cut', { kind: 'define', previous: CLICKERS });
    expect(await members('narrowed_cut')).toEqual(['v5']);
    expect(heard).toEqual(
      CLICKERS.filter((id) => id !== 'v5').map((id) => exit('narrowed_cut', id)),
    );
  });

  it('does not announce again the members a backfill stopped halfway had announced', async () => {
    await create({ id: 'halfway_cut', rule: signups });
    const { store, processor } = api.backend;
    await store.putDefinition(customer, { id: 'halfway_cut', rule: anyClick });
    await store.clearSegment(customer, 'halfway_cut');
    // The first slice of the history replayed: u1's click (its id makes it the same event).
    const first = await changesDuring(() =>
      processor.process([click(customer, 'c-u1', 'v1', 'buy', 10 * HOUR, 'u1')]),
    );
    expect(first).toEqual([enter('halfway_cut', 'u1')]);
    const heard = await finish('halfway_cut', { kind: 'define', previous: ['v5'] });
    expect(await members('halfway_cut')).toEqual(CLICKERS);
    expect(heard.sort(byId)).toEqual(['v3', 'v4', 'v6'].map((id) => enter('halfway_cut', id)));
  });

  it('finishes a deletion recorded by the Flink engine, from the store alone', async () => {
    // A backend that ran the Flink engine stopped in the middle of a DELETE; it runs the TS
    // processor now.
    await create({ id: 'deleted_cut', rule: anyClick });
    expect(await members('deleted_cut')).toEqual(CLICKERS);
    const heard = await finish('deleted_cut', { kind: 'delete' });
    expect(heard).toEqual([]);
    const [definitions = []] = await api.backend.store.definitions([customer]);
    expect(definitions.map((d) => d.id)).not.toContain('deleted_cut');
    expect(
      await api.backend.store.memberships([{ customer, segment: 'deleted_cut', id: 'u1' }]),
    ).toEqual([null]);
  });

  it('finishes the other writes while one keeps failing', async () => {
    const { store } = api.backend;
    // A customer listed first whose write always fails: its stored window cannot be read (the
    // API never stores such a rule; a bug could).
    const broken = 'cust_0broken';
    const bad = { id: 'bad', rule: { ...anyClick, window: 'forever' } } as SegmentDefinition;
    await store.putDefinition(broken, bad);
    await store.putDocument(broken, UNFINISHED_WRITE_KIND, 'bad', { kind: 'define' });
    try {
      await store.putDefinition(customer, { id: 'after_broken', rule: anyClick });
      await finish('after_broken', { kind: 'define' });
      expect(await members('after_broken')).toEqual(CLICKERS);
      expect((await store.listDocuments(broken, UNFINISHED_WRITE_KIND)).map((d) => d.id)).toEqual([
        'bad',
      ]);
    } finally {
      await store.deleteDocument(broken, UNFINISHED_WRITE_KIND, 'bad');
      await store.deleteDefinition(broken, 'bad');
    }
  });

  it('leaves alone a write whose lease is held, and finishes it once the lease lapses', async () => {
    const { store } = api.backend;
    const lease = (until: number) =>
      store.putDocument(customer, WRITE_LEASE_KIND, 'a_leased', { until });
    // Another backend's API is running this write: it holds the lease. (A rule of page views:
    // b_free's replay of clicks below touches no other rule's evidence.)
    await store.putDefinition(customer, viewsOf('a_leased', '/pricing', 1, '1d'));
    await lease(Date.now() + WRITE_LEASE_MS);
    await store.putDocument(customer, UNFINISHED_WRITE_KIND, 'a_leased', { kind: 'define' });
    // A run of the finisher that finishes b_free has passed a_leased first (in id order).
    await store.putDefinition(customer, { id: 'b_free', rule: anyClick });
    await finish('b_free', { kind: 'define' });
    expect(await members('b_free')).toEqual(CLICKERS);
    const recorded = await store.listDocuments(customer, UNFINISHED_WRITE_KIND);
    expect(recorded.map((d) => d.id)).toEqual(['a_leased']);
    expect(await members('a_leased')).toEqual([]);
    // The backend holding it stopped: its lease lapses, and the write is finished.
    const heard = await changesDuring(async () => {
      await lease(Date.now() - 1);
      await waitUntil(
        'the backend to finish the write of a_leased',
        async () => (await store.listDocuments(customer, UNFINISHED_WRITE_KIND)).length === 0,
        30_000,
      );
    });
    expect(await members('a_leased')).toEqual(['v2']);
    expect(heard).toEqual([enter('a_leased', 'v2')]);
    expect(await store.listDocuments(customer, WRITE_LEASE_KIND)).toEqual([]);
  });
});

describe('warehouse history', () => {
  it('reads events in pages by key: oldest first, each once, resends and ties included', async () => {
    const same = minutesAgo(7);
    const events = ['h-c', 'h-a', 'h-b'].map((id) =>
      makeEvent({ customer_id: 'cust_h', event_id: id, timestamp: same }),
    );
    const older = makeEvent({ customer_id: 'cust_h', event_id: 'h-z', timestamp: minutesAgo(8) });
    await api.backend.warehouse.write({ events: [...events, older], links: [], changes: [] });
    // A resend: a new received_at, stored at its first copy's time.
    const resend = { ...events[0]!, received_at: new Date().toISOString() };
    await api.backend.warehouse.write({ events: [resend], links: [], changes: [] });

    const client = openChdbClient(join(api.dir, 'warehouse'));
    try {
      const pages: string[][] = [];
      const from = new Date(Date.now() - 60 * 60_000);
      for await (const page of readEventsSince(client, 'pulse', 'cust_h', from, {}, 2)) {
        pages.push(page.map((event) => event.event_id));
      }
      expect(pages).toEqual([
        ['h-z', 'h-a'],
        ['h-b', 'h-c'],
      ]);
      const read = async (filter: { eventType?: 'page_view' | 'click' }) => {
        const all: PulseEvent[] = [];
        for await (const page of api.backend.warehouse.eventsSince('cust_h', from, filter)) {
          all.push(...page);
        }
        return all;
      };
      const all = await read({ eventType: 'page_view' });
      expect(all.map((event) => event.event_id)).toEqual(['h-z', 'h-a', 'h-b', 'h-c']);
      // Read back as it was written.
      expect(all[0]).toEqual(older);
      expect(await read({ eventType: 'click' })).toEqual([]);
    } finally {
      await client.close();
    }
  });
});

describe('sharing the processor', () => {
  it('lets another customer’s batch through while a long backfill replays its history', async () => {
    // 1,200 matching events of customer A's history: more than one slice of the backfill.
    const bulk = Array.from({ length: 1200 }, (_, i) =>
      makeEvent({
        customer_id: 'cust_a',
        event_id: `bulk-${i}`,
        visitor_id: `bulk-visitor-${i % 40}`,
        event_type: 'custom',
        event_name: 'bulk',
        timestamp: minutesAgo(2 * HOUR - i / 100),
      }),
    );
    await api.backend.processor.process(bulk);

    // The batches the processor finishes, in order: A's replayed slices and B's batch.
    const order: string[] = [];
    let other: Promise<unknown> | undefined;
    const unsubscribe = api.backend.live.subscribe((batch) => {
      const customers = new Set(batch.eventKeys.map((key) => key.split('/')[0]));
      if (customers.has('cust_a')) order.push('a');
      if (customers.has('cust_b')) order.push('b');
      // B's batch arrives as soon as A's first slice is done.
      other ??= api.backend.processor.process([click('cust_b', 'b-during', 'vb', 'buy', 1)]);
    });
    try {
      const rule = { event_type: 'custom', event_name: 'bulk', min_count: 1, window: '1d' };
      const backfill = await create({ id: 'bulk_senders', rule });
      await other;
      expect(backfill).toMatchObject({ events_scanned: 1200, events_replayed: 1200, members: 40 });
    } finally {
      unsubscribe();
    }
    expect(order.lastIndexOf('a')).toBeGreaterThan(order.indexOf('b'));
  });
});
