import { describe, expect, it, vi } from 'vitest';
import { createWorld, ok, openTab as openNow, status, type World } from '../../test/fake-env';

vi.spyOn(console, 'warn').mockImplementation(() => {});

const FAST = { flushInterval: 100, retryBase: 1000, retryCap: 60_000 };

/** A tab that has settled in (elected itself the sender and read the queue). */
const openTab = async (w: World, options?: Parameters<typeof openNow>[1]) => {
  const tab = openNow(w, options);
  await w.advance(0);
  return tab;
};

describe('delivery: queue and batches', () => {
  it('keeps events in the store until the edge acknowledges them', async () => {
    const w = createWorld();
    const { pulse, seen } = await openTab(w, FAST);
    w.answers.push(status(503));
    pulse.track('a');
    await w.advance(100);
    expect(w.requests).toHaveLength(1);
    expect(w.store.rows.size).toBe(1);
    await w.advance(60_000);
    expect(w.requests).toHaveLength(2);
    expect(w.store.rows.size).toBe(0);
    expect(seen.sent.flatMap((s) => s.ids)).toEqual(
      w.requests[1]!.batch.events.map((e) => e.event_id),
    );
  });

  it('waits flushInterval for more events, then sends them in one batch', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w, FAST);
    pulse.track('a');
    await w.advance(50);
    pulse.track('b');
    await w.advance(49);
    expect(w.requests).toHaveLength(0);
    await w.advance(1);
    expect(w.requests.map((r) => r.batch.events.map((e) => e.event_name))).toEqual([['a', 'b']]);
  });

  it('sends a full batch at once, at most maxBatchEvents per request, oldest first', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w, { ...FAST, maxBatchEvents: 3 });
    for (let i = 0; i < 7; i++) pulse.track(`e${i}`);
    // A full batch starts a drain at once: the rest goes right behind it, no timer wait.
    await w.advance(0);
    expect(w.requests.map((r) => r.batch.events.length)).toEqual([3, 3, 1]);
    expect(w.names()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
  });

  it('cuts batches by size as well as by count', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w, { ...FAST, maxBatchBytes: 2500 });
    for (let i = 0; i < 6; i++) pulse.track('sized', { pad: 'x'.repeat(900) });
    await pulse.flush();
    expect(w.requests.length).toBeGreaterThanOrEqual(3);
    for (const r of w.requests)
      expect(JSON.stringify(r.batch.events).length).toBeLessThan(2500 + 1000);
    expect(w.delivered()).toHaveLength(6);
  });

  it('sets sent_at at each send, so a retry carries a fresh one', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w, FAST);
    w.answers.push(status(500));
    pulse.track('a');
    await w.advance(100);
    await w.advance(60_000);
    const [first, second] = w.requests;
    expect(first!.batch.events[0]!.event_id).toBe(second!.batch.events[0]!.event_id);
    expect(Date.parse(second!.batch.sent_at)).toBe(second!.at);
    expect(second!.batch.sent_at).not.toBe(first!.batch.sent_at);
    expect(first!.batch.events[0]!.timestamp).toBe(second!.batch.events[0]!.timestamp);
  });

  it('posts to {endpoint}/v1/events with the key in the query string', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w, { key: 'pk live/1' });
    pulse.track('a');
    await pulse.flush();
    expect(w.requests[0]!.url).toBe('https://edge.test/v1/events?key=pk%20live%2F1');
    expect(w.requests[0]!.keepalive).toBe(true);
  });
});

describe('delivery: queue bound', () => {
  it('drops what does not fit, counts it, and reports it in the next batch until acknowledged', async () => {
    const w = createWorld();
    const { pulse, seen } = await openTab(w, { ...FAST, maxQueueEvents: 5 });
    w.answers.push('network', status(503));
    for (let i = 0; i < 7; i++) pulse.track(`e${i}`);
    await w.advance(100); // network error
    expect(seen.dropped).toEqual([{ count: 1 }, { count: 1 }]);
    expect(seen.error.filter((e) => e.code == 'storage')).toHaveLength(1); // one warning per overflow
    expect(w.requests[0]!.batch.dropped).toBe(2);
    await w.advance(60_000); // 503: the count is not reset by a failed batch
    expect(w.requests[1]!.batch.dropped).toBe(2);
    await w.advance(60_000); // accepted
    expect(w.requests[2]!.batch.dropped).toBe(2);
    expect(w.names()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    pulse.track('later');
    await pulse.flush();
    expect(w.requests[3]!.batch.dropped).toBeUndefined();
  });

  it('bounds the queue by bytes too', async () => {
    const w = createWorld();
    const { pulse, seen } = await openTab(w, { ...FAST, maxQueueBytes: 3000 });
    w.answers.push('hang');
    for (let i = 0; i < 5; i++) pulse.track('big', { pad: 'x'.repeat(900) });
    expect(seen.dropped.reduce((n, d) => n + d.count, 0)).toBe(3);
  });
});

describe('delivery: answers of the edge', () => {
  it('removes events the edge rejects, warns, emits them once and never retries them', async () => {
    const w = createWorld();
    const { pulse, seen } = await openTab(w, FAST);
    w.answers.push(
      ok([
        { index: 1, event_id: null, code: 'invalid_event', message: 'event_type: Invalid option' },
      ]),
    );
    pulse.track('good');
    pulse.track('bad');
    pulse.track('good2');
    await pulse.flush();
    const [good, bad, good2] = w.requests[0]!.batch.events;
    expect(seen.rejected.map((r) => r.index)).toEqual([1]);
    expect(seen.sent).toEqual([{ ids: [good!.event_id, good2!.event_id] }]);
    expect(console.warn).toHaveBeenCalledWith(expect.stringContaining(bad!.event_id));
    expect(w.store.rows.size).toBe(0);
    await w.advance(120_000);
    expect(w.requests).toHaveLength(1);
  });

  it('splits a batch the edge refuses with 413 until the offending event is alone, then drops it', async () => {
    const w = createWorld();
    const { pulse, seen } = await openTab(w, FAST);
    for (let i = 0; i < 4; i++) pulse.track(`e${i}`);
    // [e0..e3] 413 → [e0,e1] ok → [e2,e3] 413 → [e2] 413 → dropped → [e3] ok
    w.answers.push(status(413), ok(), status(413), status(413));
    await pulse.flush();
    expect(w.requests.map((r) => r.batch.events.map((e) => e.event_name))).toEqual([
      ['e0', 'e1', 'e2', 'e3'],
      ['e0', 'e1'],
      ['e2', 'e3'],
      ['e2'],
      ['e3'],
    ]);
    expect(w.names()).toEqual(['e0', 'e1', 'e3']);
    expect(seen.error.filter((e) => e.code == 'delivery').map((e) => e.message)).toEqual([
      expect.stringMatching(/^413 failing with 413: \S+ dropped$/),
    ]);
    expect(w.store.rows.size).toBe(0);
  });

  it('stops sending on 401, keeps the events queued, and tells on("error")', async () => {
    const w = createWorld();
    const { pulse, seen } = await openTab(w, FAST);
    w.answers.push(status(401));
    pulse.track('a');
    await pulse.flush();
    pulse.track('b');
    await pulse.flush();
    await w.advance(120_000);
    expect(w.requests).toHaveLength(1);
    expect(w.store.rows.size).toBe(2);
    expect(seen.error.map((e) => e.message)).toEqual([
      expect.stringMatching(/^401 failing with 401: sending stopped, events kept$/),
    ]);
    // The next page load sends them.
    w.handOver();
    const next = await openTab(w, FAST);
    // It asks the edge for receipts first, twice; flush() resolves once they are sent.
    const flushed = next.pulse.flush();
    await w.advance(5000);
    await flushed;
    expect(w.names()).toEqual(['a', 'b']);
  });

  it('stops on 403 and on other final 4xx alike', async () => {
    for (const code of [403, 404, 415]) {
      const w = createWorld();
      const { pulse } = await openTab(w, FAST);
      w.answers.push(status(code));
      pulse.track('a');
      await w.advance(100);
      await w.advance(120_000);
      expect(w.requests).toHaveLength(1);
      expect(w.store.rows.size).toBe(1);
    }
  });
});

describe('delivery: retries', () => {
  it('backs off with full jitter, doubling up to the cap, on 5xx and network errors', async () => {
    const w = createWorld();
    w.random = 0.999;
    const { pulse } = await openTab(w, { ...FAST, retryBase: 1000, retryCap: 4000 });
    w.answers.push(status(500), 'network', status(502), status(504), status(500));
    pulse.track('a');
    await w.advance(100 + 20_000);
    const at = w.requests.map((r) => r.at);
    const gaps = at.slice(1).map((t, i) => Math.round(t - at[i]!));
    // 0.999 of 1 s, 2 s, 4 s, then of the 4 s cap.
    expect(gaps).toEqual([999, 1998, 3996, 3996, 3996]);
    expect(w.delivered()).toHaveLength(1);
  });

  it('honours Retry-After on 429: nothing before it ends, not even flush() or online', async () => {
    const w = createWorld();
    const { pulse, client } = await openTab(w, FAST);
    w.answers.push(status(429, '30'));
    pulse.track('a');
    await w.advance(100);
    const limitedAt = w.now();
    pulse.track('b');
    await pulse.flush();
    client().online();
    await w.advance(29_990);
    expect(w.requests).toHaveLength(1);
    await w.advance(10);
    expect(w.requests).toHaveLength(2);
    expect(w.requests[1]!.at - limitedAt).toBe(30_000);
    expect(w.names()).toEqual(['a', 'b']);
  });

  it('honours Retry-After as an HTTP date on 503', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w, FAST);
    const until = w.now() + 6000; // a whole second: HTTP dates have no milliseconds
    w.answers.push(status(503, new Date(until).toUTCString()));
    pulse.track('a');
    await w.advance(100);
    await w.advance(5890);
    expect(w.requests).toHaveLength(1);
    await w.advance(10);
    expect(w.requests).toHaveLength(2);
    expect(w.requests[1]!.at).toBe(until);
  });

  it('retries at once when the browser comes back online', async () => {
    const w = createWorld();
    w.random = 0.999;
    const { pulse, client } = await openTab(w, FAST);
    w.answers.push('network');
    pulse.track('a');
    await w.advance(100);
    await w.advance(10);
    expect(w.requests).toHaveLength(1);
    client().online();
    await w.advance(0);
    expect(w.requests).toHaveLength(2);
    expect(w.delivered()).toHaveLength(1);
  });
});

describe('delivery: answers lost on the way back', () => {
  /** Tracks one event whose first two sends the edge takes in without the page hearing back. */
  const twoLost = async (w: World) => {
    const tab = await openTab(w, FAST);
    w.answers.push('lost', 'lost');
    tab.pulse.track('a');
    await w.advance(100); // the first send: no receipt asked for
    await w.advance(60_000); // the second: with one
    return tab;
  };

  it('sends again once with a receipt asked for, then asks the edge instead of a third send', async () => {
    const w = createWorld();
    await twoLost(w);
    await w.advance(60_000);
    expect(w.requests.map((r) => !!r.batch.unload)).toEqual([false, true]);
    const id = w.requests[0]!.batch.events[0]!.event_id;
    expect(w.receiptRequests).toEqual([[id]]);
    expect(w.delivered()).toEqual([id, id]);
    expect(w.store.rows.size).toBe(0);
  });

  it('asks again after each backoff while the receipts go unanswered, and sends nothing meanwhile', async () => {
    const w = createWorld();
    w.receiptsAnswer = 'network';
    await twoLost(w);
    await w.advance(120_000);
    expect(w.requests).toHaveLength(2);
    expect(w.receiptRequests.length).toBeGreaterThan(1);
    w.receiptsAnswer = null;
    await w.advance(120_000);
    expect(w.requests).toHaveLength(2);
    expect(w.store.rows.size).toBe(0);
  });

  it('sends them again when the edge refuses the receipts request (a 404): none is held back', async () => {
    const w = createWorld();
    w.receiptsAnswer = status(404);
    await twoLost(w);
    await w.advance(60_000);
    expect(w.requests.length).toBeGreaterThanOrEqual(3);
    expect(w.store.rows.size).toBe(0);
  });
});
