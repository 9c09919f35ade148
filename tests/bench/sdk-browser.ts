import { createCollector } from '../collector/collector';
import { launchChromium, startSite, waitFor } from '../browser/harness';
import { printTable } from './table';

const TRACK_CALLS = 10_000;
const THROUGHPUT_EVENTS = 20_000;

/**
 * In real Chromium: the cost of one `track()` call (µs, median of 3 runs of 10K calls after a
 * warm-up) and the sustained events/s the SDK delivers to a local collector.
 */
export async function benchSdkBrowser(): Promise<Record<string, unknown>> {
  const browser = await launchChromium();
  const site = await startSite();
  const collector = await createCollector();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const config = { key: 'pk_bench', endpoint: collector.url, autoPageViews: false };
    await page.goto(site.pageUrl(config));
    await page.waitForFunction(() => !('_q' in (window as unknown as { pulse: object }).pulse));

    const runs = await page.evaluate((n) => {
      const p = (window as unknown as { pulse: { track(name: string, props: object): void } })
        .pulse;
      for (let i = 0; i < 1000; i++) p.track('warmup', { i });
      const out: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) p.track('bench_track', { i, plan: 'pro', path: '/pricing' });
        out.push(((performance.now() - t0) * 1000) / n);
      }
      return out;
    }, TRACK_CALLS);
    const trackUs = [...runs].sort((a, b) => a - b)[1]!;
    // Let the 31K events above drain before measuring throughput on a fresh page.
    await waitFor(() => collector.counts.size >= 31_000, 120_000, 200);

    const fresh = await context.newPage();
    await page.close();
    await fresh.goto(site.pageUrl({ ...config, maxBatchEvents: 500 }));
    await fresh.waitForFunction(() => !('_q' in (window as unknown as { pulse: object }).pulse));
    const before = collector.counts.size;
    const t0 = Date.now();
    await fresh.evaluate((n) => {
      const p = (window as unknown as { pulse: { track(name: string, props: object): void } })
        .pulse;
      for (let i = 0; i < n; i++) p.track('bench_throughput', { i });
    }, THROUGHPUT_EVENTS);
    const all = await waitFor(
      () => collector.counts.size - before >= THROUGHPUT_EVENTS,
      120_000,
      20,
    );
    const seconds = (Date.now() - t0) / 1000;
    const delivered = collector.counts.size - before;
    let duplicates = 0;
    for (const n of collector.counts.values()) duplicates += n - 1;
    const eventsPerSecond = Math.round(delivered / seconds);
    printTable([
      ['figure', 'value'],
      ['track() cost (median of 3 × 10K calls)', `${trackUs.toFixed(1)} µs/call`],
      ['track() runs', runs.map((r) => r.toFixed(1)).join(' / ') + ' µs'],
      [
        `delivered to a local collector (${THROUGHPUT_EVENTS} events, batches of 500)`,
        `${eventsPerSecond} events/s${all ? '' : ' (INCOMPLETE)'}`,
      ],
      ['wire duplicates during the whole section', String(duplicates)],
    ]);
    await context.close();
    return {
      trackMicroseconds: trackUs,
      trackRuns: runs,
      eventsPerSecond,
      delivered,
      complete: all,
      duplicates,
    };
  } finally {
    await browser.close();
    await site.close();
    await collector.close();
  }
}
