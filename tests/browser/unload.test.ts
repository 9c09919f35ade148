import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startSite, waitFor } from './harness';
import { duplicatesOf, reportDuplicates } from './report';
import { idsOf, seqsOf, TARGETS, trackMany, useBrowserSuite } from './suite';

/**
 * The case peers lose events in: a burst of tracking, then the page is left at once. The
 * timer is set long so that only the page-hide path (and, for a closed tab, the next page
 * load) can deliver them.
 */
describe.each(TARGETS)(
  'SDK delivery when the page is left right after tracking (against the %s)',
  (target) => {
    const s = useBrowserSuite(target);
    const SLOW = { flushInterval: 10_000 };

    /**
     * All `n` events arrive. Only a closed tab (`nextPageMayDeliver`) may leave part of the
     * delivery to the next page load; a navigation must deliver by itself, from the leaving page.
     */
    const expectAll = async (
      name: string,
      n: number,
      context: BrowserContext,
      nextPageMayDeliver = false,
    ): Promise<void> => {
      let delivered = await waitFor(
        () => seqsOf(s.collector, name).size === n,
        nextPageMayDeliver ? 5_000 : 20_000,
      );
      if (!delivered && nextPageMayDeliver) {
        // A closed tab may leave delivery to the next page load on the same site.
        await s.open(context, SLOW);
        delivered = await waitFor(() => seqsOf(s.collector, name).size === n, 20_000);
      }
      expect(seqsOf(s.collector, name).size).toBe(n);
      expect(delivered).toBe(true);
      // The visitor comes back: whatever the SDK still holds unacknowledged would be sent again.
      // Those resends are the wire duplicates this scenario costs; count them.
      await s.open(context, SLOW);
      await new Promise((r) => setTimeout(r, 1500));
      const duplicates = duplicatesOf(s.collector, idsOf(s.collector, name));
      reportDuplicates(`leave-${name}@${target}`, duplicates, n);
      // The unload batch was durable before the next page opened, so its receipts are there:
      // the next page asks for them instead of sending the events again.
      expect(duplicates).toBe(0);
    };

    const burst = async (page: Page, name: string) => {
      await trackMany(page, name, 50);
      expect(seqsOf(s.collector, name).size).toBe(0);
    };

    it('delivers all 50 when a link click navigates away at once', async () => {
      const context = await s.context();
      const page = await s.open(context, SLOW);
      await page.evaluate(() => {
        for (let i = 0; i < 50; i++)
          (window as unknown as { pulse: { track(n: string, p: object): void } }).pulse.track(
            'link-nav',
            { seq: i },
          );
        document.getElementById('away')!.click();
      });
      await page.waitForURL(/\/blank$/);
      await expectAll('link-nav', 50, context);
    });

    it('delivers all 50 when the page moves to another origin', async () => {
      const other = await startSite();
      try {
        const context = await s.context();
        const page = await s.open(context, SLOW);
        await burst(page, 'cross-origin');
        await page.goto(`${other.url}/blank`);
        await expectAll('cross-origin', 50, context);
      } finally {
        await other.close();
      }
    });

    it('delivers all 50 when the tab is closed with beforeunload handlers run', async () => {
      const context = await s.context();
      const page = await s.open(context, SLOW);
      await burst(page, 'close-unload');
      await page.close({ runBeforeUnload: true });
      await expectAll('close-unload', 50, context, true);
    });

    it('delivers all 50 when the tab is closed outright', async () => {
      const context = await s.context();
      const page = await s.open(context, SLOW);
      await burst(page, 'close');
      await page.close();
      await expectAll('close', 50, context, true);
    });
  },
);
