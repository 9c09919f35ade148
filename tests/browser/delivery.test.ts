import { describe, expect, it } from 'vitest';
import { waitFor } from './harness';
import { duplicatesOf, reportDuplicates } from './report';
import { idsOf, seqsOf, trackMany, useBrowserSuite } from './suite';

describe('SDK delivery in Chromium', () => {
  const s = useBrowserSuite();

  it('queues events while offline and delivers every one when back online', async () => {
    const context = await s.context();
    const page = await s.open(context);
    await context.setOffline(true);
    await trackMany(page, 'offline', 20);
    await page.waitForTimeout(500);
    expect(seqsOf(s.collector, 'offline').size).toBe(0); // nothing can have left while offline
    await context.setOffline(false);
    expect(await waitFor(() => seqsOf(s.collector, 'offline').size === 20)).toBe(true);
    reportDuplicates(
      'offline-online',
      duplicatesOf(s.collector, idsOf(s.collector, 'offline')),
      20,
    );
  });

  it('resends after a reload in the middle of a queue, and the server sees every event_id', async () => {
    const context = await s.context();
    const page = await s.open(context);
    s.collector.setMode({ kind: 'hang' });
    const before = s.collector.requests.length;
    await trackMany(page, 'reload', 30);
    expect(await waitFor(() => s.collector.requests.length > before)).toBe(true);
    await page.reload();
    s.collector.setMode({ kind: 'ok' });
    expect(await waitFor(() => seqsOf(s.collector, 'reload').size === 30)).toBe(true);
    reportDuplicates(
      'reload-mid-queue',
      duplicatesOf(s.collector, idsOf(s.collector, 'reload')),
      30,
    );
  });

  it('honours Retry-After on 429: no request before the window ends, nothing lost', async () => {
    const context = await s.context();
    const page = await s.open(context);
    s.collector.failNext(1, { kind: 'status', status: 429, headers: { 'retry-after': '2' } });
    const from = s.collector.requests.length;
    await trackMany(page, 'limited', 5);
    expect(await waitFor(() => seqsOf(s.collector, 'limited').size === 5)).toBe(true);
    const [limited, ...after] = s.collector.requests.slice(from);
    expect(limited?.status).toBe(429);
    expect(after.length).toBeGreaterThan(0);
    for (const request of after) expect(request.at - limited!.at).toBeGreaterThanOrEqual(2000);
  });

  it('loses nothing through a storm of 5xx answers', async () => {
    const context = await s.context();
    const page = await s.open(context);
    s.collector.failNext(10, { kind: 'status', status: 503 });
    await trackMany(page, 'storm', 40);
    expect(await waitFor(() => seqsOf(s.collector, 'storm').size === 40, 30_000)).toBe(true);
    expect(s.collector.requests.filter((r) => r.status === 503).length).toBe(10);
    reportDuplicates('5xx-storm', duplicatesOf(s.collector, idsOf(s.collector, 'storm')), 40);
  });

  it('retries when the connection drops without an answer', async () => {
    const context = await s.context();
    const page = await s.open(context);
    s.collector.failNext(2, { kind: 'drop-connection' });
    await trackMany(page, 'dropped-conn', 10);
    expect(await waitFor(() => seqsOf(s.collector, 'dropped-conn').size === 10)).toBe(true);
  });

  it('sends each event at most twice while the answers are lost for 3 s, and loses none', async () => {
    const context = await s.context();
    const page = await s.open(context);
    // The edge takes every request in, but no answer comes back (the connection drops).
    s.collector.setMode({ kind: 'lose-answer' });
    await trackMany(page, 'lost-answers', 50);
    await page.waitForTimeout(3000);
    s.collector.setMode({ kind: 'ok' });
    expect(await waitFor(() => seqsOf(s.collector, 'lost-answers').size === 50, 30_000)).toBe(true);
    const ids = idsOf(s.collector, 'lost-answers');
    reportDuplicates('answers-lost-3s', duplicatesOf(s.collector, ids), 50);
    // Once more at most: the second send asks the edge for a receipt, and the SDK asks for it
    // (until an answer comes) instead of sending a third time.
    expect(Math.max(...[...ids].map((id) => s.collector.counts.get(id) ?? 0))).toBeLessThanOrEqual(
      2,
    );
    const asked = s.collector.requests.filter((r) => r.url.startsWith('/v1/receipts'));
    expect(asked.length).toBeGreaterThan(0);
  });

  it('falls back to localStorage when IndexedDB is unavailable, and still survives a reload', async () => {
    const context = await s.context();
    await context.addInitScript(() => {
      Object.defineProperty(window, 'indexedDB', {
        get() {
          throw new Error('IndexedDB disabled for this test');
        },
      });
    });
    const page = await s.open(context);
    s.collector.setMode({ kind: 'hang' });
    const before = s.collector.requests.length;
    await trackMany(page, 'no-idb', 10);
    expect(await waitFor(() => s.collector.requests.length > before)).toBe(true);
    const queued = await page.evaluate(
      () => Object.keys(localStorage).filter((k) => k.startsWith('pulse:q:')).length,
    );
    expect(queued).toBe(1);
    await page.reload();
    s.collector.setMode({ kind: 'ok' });
    expect(await waitFor(() => seqsOf(s.collector, 'no-idb').size === 10)).toBe(true);
  });

  it('drops an event the edge rejects as invalid instead of retrying it, and delivers its neighbours', async () => {
    const context = await s.context();
    const page = await s.open(context);
    await page.evaluate(() => {
      const p = (
        window as unknown as {
          pulse: {
            use(f: (e: Record<string, unknown>) => unknown): void;
            track(n: string, p?: object): void;
          };
        }
      ).pulse;
      p.use((e) => (e.event_name === 'bad' ? { ...e, event_type: 'not-a-type' } : e));
      p.track('good', { seq: 0 });
      p.track('bad');
      p.track('good', { seq: 1 });
    });
    expect(await waitFor(() => seqsOf(s.collector, 'good').size === 2)).toBe(true);
    const rejectedRequests = s.collector.requests.filter((r) =>
      JSON.stringify(r.body).includes('not-a-type'),
    );
    await page.waitForTimeout(1000);
    expect(
      s.collector.requests.filter((r) => JSON.stringify(r.body).includes('not-a-type')).length,
    ).toBe(rejectedRequests.length);
    expect(rejectedRequests.length).toBe(1);
  });
});
