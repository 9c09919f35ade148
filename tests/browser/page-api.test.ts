import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { waitFor } from './harness';
import { TARGETS, useBrowserSuite } from './suite';

type PulseInPage = {
  track(name: string, props?: unknown): void;
  page(name?: string, props?: unknown): void;
  identify(id: string, traits?: unknown): void;
  consent(granted: boolean): void;
  on(name: string, cb: (payload: unknown) => void): void;
  flush(): Promise<void>;
};
const inPage = (page: Page, fn: (pulse: PulseInPage) => void) =>
  page.evaluate(`(${fn.toString()})(window.pulse)`);

describe.each(TARGETS)('SDK public API in the page (against the %s)', (target) => {
  const s = useBrowserSuite(target);
  const named = (name: string) => s.collector.events.filter((e) => e.event_name === name);

  it('stores and sends nothing while consent is withheld', async () => {
    const context = await s.context();
    const before = s.collector.requests.length;
    const page = await s.open(context, { requireConsent: true, autoPageViews: true });
    await inPage(page, (p) => {
      for (let i = 0; i < 10; i++) p.track('no-consent', { i });
      p.identify('user-1');
    });
    await page.waitForTimeout(1000);
    expect(s.collector.requests.length).toBe(before);
    const stored = await page.evaluate(async () => ({
      local: Object.keys(localStorage),
      session: Object.keys(sessionStorage),
      databases: (await indexedDB.databases()).map((d) => d.name),
      cookies: document.cookie,
    }));
    expect(stored).toEqual({ local: [], session: [], databases: [], cookies: '' });
    // An explicit refusal discards what waited for consent (in memory only, as with Segment's
    // consent tools); granting later sends only what is tracked from then on.
    await inPage(page, (p) => {
      p.consent(false);
      p.track('denied');
      p.consent(true);
      p.track('after-consent');
    });
    expect(await waitFor(() => named('after-consent').length === 1)).toBe(true);
    await page.waitForTimeout(500);
    expect(named('no-consent')).toEqual([]);
    expect(named('denied')).toEqual([]);
  });

  it('replays calls made before the bundle loaded, in order', async () => {
    const context = await s.context();
    // The bundle is slow to arrive, so these calls land on the snippet's stub.
    await context.route('**/pulse.iife.js', async (route) => {
      await new Promise((r) => setTimeout(r, 300));
      await route.continue();
    });
    const before = `pulse.track('early-1');pulse.identify('early-user');pulse.track('early-2');`;
    await s.open(context, {}, before);
    expect(await waitFor(() => named('early-2').length === 1)).toBe(true);
    const early = s.collector.events.filter(
      (e) =>
        ['early-1', 'identify', 'early-2'].includes(e.event_name) &&
        (e.event_name !== 'identify' || e.user_id === 'early-user'),
    );
    expect(early.map((e) => e.event_name)).toEqual(['early-1', 'identify', 'early-2']);
    expect(named('early-1')[0]?.user_id ?? null).toBeNull();
    expect(named('early-2')[0]?.user_id).toBe('early-user');
  });

  it('never throws into the page on bad input, and the good events beside it arrive', async () => {
    const context = await s.context();
    const page = await s.open(context);
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    const thrown = await page.evaluate(() => {
      const p = (window as unknown as { pulse: PulseInPage }).pulse;
      const errors: unknown[] = [];
      p.on('error', (e) => errors.push(e));
      const circular: Record<string, unknown> = { name: 'loop' };
      circular.self = circular;
      const calls: Array<() => void> = [
        () => p.track('good', { seq: 0 }),
        () => p.track('circular', circular),
        () => p.track('bigint', { n: BigInt(10) }),
        () => p.track('huge', { blob: 'x'.repeat(100_000) }),
        () => p.track(undefined as unknown as string),
        () => p.identify(null as unknown as string),
        () => p.track('good', { seq: 1 }),
      ];
      let count = 0;
      for (const call of calls) {
        try {
          call();
        } catch {
          count++;
        }
      }
      return { count, errors: errors.length };
    });
    expect(thrown.count).toBe(0);
    expect(thrown.errors).toBeGreaterThan(0); // the 100 KB event is refused and reported
    expect(await waitFor(() => named('good').length === 2)).toBe(true);
    expect(named('huge')).toEqual([]);
    expect(named('bigint')[0]?.properties).toEqual({ n: '10' });
    expect(named('circular')).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  });

  it('sends a page view on load and on every SPA navigation', async () => {
    const context = await s.context();
    const page = await s.open(context, { autoPageViews: true });
    await page.evaluate(() => {
      history.pushState({}, '', '/pricing');
      history.pushState({}, '', '/pricing'); // same path: not a new page
      history.replaceState({}, '', '/features?utm_source=news');
    });
    await page.goBack(); // back to the second entry, /pricing (the third was replaced)
    // In the order they happened (UUIDv7 ids sort by time): batches may arrive out of order.
    const paths = () =>
      s.collector.events
        .filter(
          (e) =>
            e.event_type === 'page_view' &&
            (e.context as { page?: { url?: string } }).page?.url?.startsWith(s.site.url),
        )
        .sort((a, b) => (a.event_id < b.event_id ? -1 : 1))
        .map((e) => (e.context as { page: { path: string } }).page.path);
    expect(await waitFor(() => paths().length >= 4)).toBe(true);
    await page.waitForTimeout(300); // a page view for the same-path pushState would show up by now
    expect(paths()).toEqual(['/page', '/pricing', '/features', '/pricing']);
    const features = s.collector.events.filter(
      (e) => (e.context as { page?: { path?: string } }).page?.path === '/features',
    );
    expect((features[0]?.context as { campaign?: unknown }).campaign).toEqual({ source: 'news' });
  });

  it('captures clicks on data-pulse elements when asked to', async () => {
    const context = await s.context();
    const page = await s.open(context, { captureClicks: true });
    await page.click('#buy');
    expect(await waitFor(() => named('buy').length === 1)).toBe(true);
    expect(named('buy')[0]).toMatchObject({
      event_type: 'click',
      properties: expect.objectContaining({ plan: 'pro' }),
    });
  });
});
