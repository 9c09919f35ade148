import { describe, expect, it, vi } from 'vitest';
import { createWorld, ok, openTab as openNow, type World } from '../../test/fake-env';
import type { Store } from './types';

vi.spyOn(console, 'warn').mockImplementation(() => {});

/** The timer is long: only the page-hide path (or the next page) can deliver. */
const SLOW = { flushInterval: 10_000 };

const openTab = async (w: World, options = SLOW, env?: { queueStore: Store }) => {
  const tab = openNow(w, options, env);
  await w.advance(0);
  return tab;
};

const trackMany = (
  pulse: { track(n: string, p?: object): void },
  name: string,
  n: number,
  pad = '',
) => {
  for (let i = 0; i < n; i++) pulse.track(name, { seq: i, pad });
};

/** Every id the edge accepted, with how often. */
const counts = (w: World) => {
  const c = new Map<string, number>();
  for (const id of w.delivered()) c.set(id, (c.get(id) ?? 0) + 1);
  return c;
};

/** The page is left: pagehide, then it is gone; the same tab loads the next page. */
const leave = (w: World, tab: Awaited<ReturnType<typeof openTab>>) => {
  tab.client().pageHidden();
  tab.close();
  w.handOver();
};

describe('delivery when the page is hidden or left', () => {
  it('journals events the queue write has not committed, and the next page sends them', async () => {
    const w = createWorld();
    const first = await openTab(w);
    w.store.hang = true; // IndexedDB writes are async: the page goes before they land
    trackMany(first.pulse, 'burst', 50);
    w.answers.push('hang'); // the unload request gets no answer
    leave(w, first);
    const journal = w.kv.keys().filter((k) => k.startsWith('pulse:j:pk_test:'));
    expect(journal).toHaveLength(1);
    expect(JSON.parse(w.kv.get(journal[0]!)!)[0]).toHaveLength(50);
    expect(w.requests.map((r) => [r.batch.events.length, r.keepalive])).toEqual([[50, true]]);

    w.store.hang = false;
    await openTab(w);
    // The next page asks for receipts, twice (a closing tab's keepalive may still be on its
    // way), then sends what the edge does not hold.
    await w.advance(5000);
    expect(w.receiptRequests.map((ids) => ids.length)).toEqual([50, 50]);
    expect(counts(w).size).toBe(50);
    expect([...counts(w).values()].every((n) => n == 1)).toBe(true);
    expect(w.kv.keys().filter((k) => k.startsWith('pulse:j:'))).toEqual([]);
    expect(w.store.rows.size).toBe(0);
  });

  it('does not resend what the edge acknowledged before the page went (navigation sends early)', async () => {
    const w = createWorld();
    const first = await openTab(w);
    w.store.hang = true;
    trackMany(first.pulse, 'link', 50);
    first.client().leave(); // navigate / beforeunload: send now
    await w.advance(0); // the answer arrives while the page still runs
    leave(w, first);
    w.store.hang = false;
    await openTab(w);
    await w.advance(1000);
    expect(counts(w).size).toBe(50);
    expect([...counts(w).values()].every((n) => n == 1)).toBe(true);
  });

  it('rewrites the journal when an answer arrives after the page was hidden, so a killed page is not resent', async () => {
    const w = createWorld();
    const first = await openTab(w);
    w.store.hang = true;
    w.store.hangDeletes = true; // only the journal can carry the answer to the next page
    trackMany(first.pulse, 'hidden-then-killed', 30);
    first.client().pageHidden(); // tab hidden: journal written, keepalive sent
    await w.advance(0); // the keepalive answer arrives
    first.close(); // killed while hidden: no pagehide
    w.handOver();
    w.store.hang = false;
    w.store.hangDeletes = false;
    await openTab(w);
    await w.advance(1000);
    expect(w.delivered()).toHaveLength(30);
    expect(counts(w).size).toBe(30);
  });

  it('asks the edge for receipts instead of resending what an unload batch delivered', async () => {
    const w = createWorld();
    const first = await openTab(w);
    trackMany(first.pulse, 'left', 50);
    // The edge makes the unload batch durable, but the page is gone before the answer.
    w.answers.push('hang');
    leave(w, first);
    expect(w.requests).toHaveLength(1);
    expect(w.requests[0]!.batch.unload).toBe(true);
    for (const e of w.requests[0]!.batch.events) w.receipts.add(e.event_id); // what the edge kept
    await openTab(w);
    await w.advance(1000);
    expect(w.receiptRequests).toHaveLength(1);
    expect(w.receiptRequests[0]).toHaveLength(50);
    expect(w.requests).toHaveLength(1); // nothing sent again
    expect(await w.store.all()).toEqual([]);
  });

  it('asks about every queued event of the closed page even when its last mark was lost', async () => {
    const w = createWorld();
    const first = await openTab(w);
    trackMany(first.pulse, 'mark-lost', 50);
    w.answers.push('hang'); // durable at the edge; the tab is gone before the answer
    leave(w, first);
    for (const e of w.requests[0]!.batch.events) w.receipts.add(e.event_id);
    // Chromium may drop a closing tab's last localStorage write: here, the unload mark.
    for (const key of w.kv.keys()) if (key.startsWith('pulse:r:')) w.kv.del(key);
    await openTab(w);
    await w.advance(5000);
    expect(w.receiptRequests.map((ids) => ids.length)).toEqual([50]);
    expect(w.requests).toHaveLength(1); // nothing sent again
    expect(await w.store.all()).toEqual([]);
  });

  it("asks again before resending, so a closing tab's keepalive still on its way is not sent twice", async () => {
    const w = createWorld();
    const first = await openTab(w);
    trackMany(first.pulse, 'late', 50);
    w.answers.push('hang');
    leave(w, first);
    await openTab(w); // asks at once: the unload request has not landed yet
    await w.advance(1000);
    expect(w.receiptRequests).toHaveLength(1);
    for (const e of w.requests[0]!.batch.events) w.receipts.add(e.event_id); // now it lands
    await w.advance(5000);
    expect(w.receiptRequests).toHaveLength(2);
    expect(w.requests).toHaveLength(1); // the 50 were never sent twice
    expect(await w.store.all()).toEqual([]);
  });

  it('resends what the edge holds no receipt for', async () => {
    const w = createWorld();
    const first = await openTab(w);
    trackMany(first.pulse, 'lost-at-unload', 20);
    w.answers.push('hang'); // the unload request never reached the edge
    leave(w, first);
    await openTab(w);
    await w.advance(1000);
    const sent = w.requests[0]!.batch.events.map((e) => e.event_id);
    expect(w.receiptRequests).toEqual([sent]);
    expect(w.requests).toHaveLength(1); // not yet: asked once more a little later first
    await w.advance(5000);
    expect(w.receiptRequests).toEqual([sent, sent]);
    expect(w.requests).toHaveLength(2);
    expect(counts(w).size).toBe(20);
  });

  it('does not send again from a closing tab whose unload request failed as it went', async () => {
    const w = createWorld();
    const first = await openTab(w);
    trackMany(first.pulse, 'closing', 30);
    w.answers.push('network'); // the tab closes: Chromium fails the keepalive fetch it still sends
    first.client().pageHidden(); // visibilitychange → hidden
    await w.advance(0);
    first.client().pageHidden(); // pagehide
    expect(w.requests).toHaveLength(1);
    expect(w.requests[0]!.batch.unload).toBe(true);
  });

  it('does not send again what a navigation cut off: the request went out, the next page decides', async () => {
    const w = createWorld();
    const first = await openTab(w);
    trackMany(first.pulse, 'cut', 50);
    w.answers.push('network'); // Chromium fails the fetch as the page commits its navigation
    first.client().leave();
    await w.advance(0);
    leave(w, first); // pagehide
    expect(w.requests).toHaveLength(1);
    await openTab(w);
    await w.advance(5000);
    expect(w.requests).toHaveLength(2);
    expect(counts(w).size).toBe(50);
  });

  it('journals acknowledgements whose deletion did not land, so the next page drops those rows', async () => {
    const w = createWorld();
    const first = await openTab(w);
    trackMany(first.pulse, 'acked', 20);
    await w.advance(0); // committed to the store
    expect(w.store.rows.size).toBe(20);
    w.store.hangDeletes = true;
    first.client().leave();
    await w.advance(0); // acknowledged, deletion pending
    leave(w, first);
    w.store.hangDeletes = false;
    await openTab(w);
    await w.advance(1000);
    expect(w.store.rows.size).toBe(0);
    expect(w.delivered()).toHaveLength(20);
  });

  it('sends with keepalive within the 64 KB budget and by beacon beyond it', async () => {
    const w = createWorld();
    const first = await openTab(w);
    trackMany(first.pulse, 'big', 150, 'x'.repeat(900));
    w.answers.push('hang', 'hang', 'hang');
    first.client().pageHidden();
    const keepalive = w.requests.filter((r) => r.keepalive);
    const bytes = keepalive.reduce((n, r) => n + JSON.stringify(r.batch).length, 0);
    expect(bytes).toBeLessThanOrEqual(64_000);
    expect(keepalive.length).toBeGreaterThan(0);
    expect(w.beacons.length).toBeGreaterThan(0);
    const sent = [...keepalive.map((r) => r.batch), ...w.beacons].flatMap((b) =>
      b.events.map((e) => e.event_id),
    );
    expect(new Set(sent).size).toBe(150);
    // Nothing was acknowledged: everything stays queued for the next page.
    await w.advance(0);
    expect(w.store.rows.size).toBe(150);
  });

  it('removes the events by the keepalive answer when the hidden page lives on, and never resends them', async () => {
    const w = createWorld();
    const tab = await openTab(w);
    trackMany(tab.pulse, 'hidden', 10);
    tab.client().pageHidden(); // visibilitychange → hidden; the tab stays open
    await w.advance(60_000);
    expect(w.requests).toHaveLength(1);
    expect(w.delivered()).toHaveLength(10);
    expect(w.store.rows.size).toBe(0);
    expect(w.kv.keys().filter((k) => k.startsWith('pulse:j:'))).toEqual([]);
  });

  it('does not send on hide while a Retry-After holds', async () => {
    const w = createWorld();
    const tab = await openTab(w, { flushInterval: 10 });
    w.answers.push({ status: 429, retryAfter: '60', body: null });
    tab.pulse.track('a');
    await w.advance(10);
    tab.client().pageHidden();
    expect(w.requests).toHaveLength(1);
    await w.advance(60_000);
    expect(w.delivered()).toHaveLength(1);
  });
});

describe('delivery across tabs', () => {
  it('delivers each event of two tabs exactly once, all sent by the sender tab', async () => {
    const w = createWorld();
    const a = await openTab(w, { flushInterval: 50 });
    const b = await openTab(w, { flushInterval: 50 });
    for (let i = 0; i < 20; i++) {
      a.pulse.track('from-a', { seq: i });
      b.pulse.track('from-b', { seq: i });
      await w.advance(7);
    }
    await w.advance(1000);
    expect(counts(w).size).toBe(40);
    expect([...counts(w).values()].every((n) => n == 1)).toBe(true);
    expect(new Set(w.requests.map((r) => r.tab))).toEqual(new Set([a.tab]));
    expect(w.store.rows.size).toBe(0);
  });

  it('hands sending over to the next tab when the sender leaves, losing nothing', async () => {
    const w = createWorld();
    const a = await openTab(w, { flushInterval: 50 });
    const b = await openTab(w, { flushInterval: 50 });
    w.answers.push({ status: 503, retryAfter: '3600', body: null });
    a.pulse.track('queued');
    b.pulse.track('queued');
    await w.advance(100);
    expect(w.delivered()).toEqual([]);
    a.close();
    w.handOver();
    await w.advance(5000);
    expect(w.names()).toEqual(['queued', 'queued']);
    expect(w.requests.at(-1)!.tab).toBe(b.tab);
  });

  it('leaves the events of a hidden non-sender tab to the sender, through its journal', async () => {
    const w = createWorld();
    const a = await openTab(w, { flushInterval: 50 });
    const hanging: Store = { ...w.store, shared: true, put: () => new Promise(() => {}) };
    const b = await openTab(w, { flushInterval: 50 }, { queueStore: hanging });
    trackMany(b.pulse, 'from-b', 5);
    b.client().pageHidden();
    b.close();
    await w.advance(100);
    expect(counts(w).size).toBe(5);
    expect(w.requests.every((r) => r.tab == a.tab)).toBe(true);
  });

  it('resolves flush() in a tab that is not the sender once its events are in the shared queue', async () => {
    const w = createWorld();
    await openTab(w, SLOW);
    const b = await openTab(w, SLOW);
    w.answers.push(ok());
    b.pulse.track('x');
    await b.pulse.flush();
    // Either still in the shared queue, or already sent by the sender tab: never lost, never both.
    expect(w.store.rows.size + w.delivered().length).toBe(1);
    expect(w.requests.filter((r) => r.tab == b.tab)).toEqual([]);
  });
});
