import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createCollector, type Collector } from '../collector/collector';
import { startEdgeTarget } from './edge-target';
import { launchChromium, startSite, type SiteServer } from './harness';

export const KEY = 'pk_test_browser';

/** Options that make the SDK fast to observe in tests. */
export const FAST = { flushInterval: 50, retryBase: 200, retryCap: 1500, autoPageViews: false };

export interface BrowserSuite {
  browser: Browser;
  site: SiteServer;
  collector: Collector;
  /** A fresh context (its own storage), closed after the test. */
  context(): Promise<BrowserContext>;
  /** A page on the test site running the SDK with `options` (plus endpoint and key). */
  open(context: BrowserContext, options?: Record<string, unknown>, before?: string): Promise<Page>;
  config(options?: Record<string, unknown>): Record<string, unknown>;
}

/**
 * Where the SDK sends: the test collector (which can fail on command) or the real edge
 * (Node adapter, durable file log). Scenarios that need no injected failure run on both.
 */
export type Target = 'collector' | 'edge';
export const TARGETS: Target[] = ['collector', 'edge'];

/** One Chromium, one site and one collector (or edge) per test file; a fresh context per test. */
export function useBrowserSuite(target: Target = 'collector'): BrowserSuite {
  const contexts: BrowserContext[] = [];
  const suite = {} as BrowserSuite;
  beforeAll(async () => {
    suite.browser = await launchChromium();
    suite.site = await startSite();
    suite.collector =
      target === 'edge' ? await startEdgeTarget(KEY, suite.site.url) : await createCollector();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    suite.collector.setMode({ kind: 'ok' });
    suite.collector.failNext(0, { kind: 'ok' });
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.site?.close();
    await suite.collector?.close();
  });
  suite.config = (options = {}) => ({
    key: KEY,
    endpoint: suite.collector.url,
    ...FAST,
    ...options,
  });
  suite.context = async () => {
    const context = await suite.browser.newContext();
    contexts.push(context);
    return context;
  };
  suite.open = async (context, options = {}, before) => {
    const page = await context.newPage();
    await page.goto(suite.site.pageUrl(suite.config(options), { before }));
    await page.waitForFunction(() => !('_q' in (window as unknown as { pulse: object }).pulse));
    return page;
  };
  return suite;
}

/** Tracks `n` custom events named `name` with a `seq` property, in the page. */
export const trackMany = (page: Page, name: string, n: number): Promise<void> =>
  page.evaluate(
    ([name, n]) => {
      for (let i = 0; i < n; i++)
        (window as unknown as { pulse: { track(a: string, b: object): void } }).pulse.track(name, {
          seq: i,
        });
    },
    [name, n] as const,
  );

/** The distinct `seq` values the collector accepted for events named `name`. */
export const seqsOf = (collector: Collector, name: string): Set<number> =>
  new Set(
    collector.events
      .filter((e) => e.event_name === name)
      .map((e) => (e.properties as { seq: number }).seq),
  );

/** The event_ids the collector accepted for events named `name`. */
export const idsOf = (collector: Collector, name: string): Set<string> =>
  new Set(collector.events.filter((e) => e.event_name === name).map((e) => e.event_id));
