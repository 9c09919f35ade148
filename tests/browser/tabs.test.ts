import { describe, expect, it } from 'vitest';
import { waitFor } from './harness';
import { duplicatesOf, reportDuplicates } from './report';
import { idsOf, seqsOf, useBrowserSuite } from './suite';

describe('SDK with several tabs of one site', () => {
  const s = useBrowserSuite();

  it('delivers each event exactly once while two tabs track at the same time', async () => {
    const context = await s.context();
    const [a, b] = [await s.open(context), await s.open(context)];
    // 100 events in bursts of 10, interleaved with the other tab's.
    const burst = (name: string) =>
      new Promise<void>((resolve) => {
        let i = 0;
        const tick = () => {
          for (let j = 0; j < 10; j++, i++)
            (window as unknown as { pulse: { track(n: string, p: object): void } }).pulse.track(
              name,
              { seq: i },
            );
          if (i < 100) setTimeout(tick, 20);
          else resolve();
        };
        tick();
      });
    await Promise.all([a.evaluate(burst, 'tab-a'), b.evaluate(burst, 'tab-b')]);
    expect(
      await waitFor(
        () =>
          seqsOf(s.collector, 'tab-a').size === 100 && seqsOf(s.collector, 'tab-b').size === 100,
      ),
    ).toBe(true);
    // Give a second sender time to show up: any resend would arrive within this window.
    await new Promise((r) => setTimeout(r, 1500));
    const ids = [...idsOf(s.collector, 'tab-a'), ...idsOf(s.collector, 'tab-b')];
    const dups = duplicatesOf(s.collector, ids);
    reportDuplicates('two-tabs', dups, 200);
    expect(dups).toBe(0);
  });

  it('keeps delivering after the tab that was sending is closed', async () => {
    const context = await s.context();
    const [a, b] = [await s.open(context), await s.open(context)];
    s.collector.setMode({ kind: 'hang' });
    const before = s.collector.requests.length;
    await a.evaluate(() => {
      for (let i = 0; i < 10; i++)
        (window as unknown as { pulse: { track(n: string, p: object): void } }).pulse.track(
          'orphan',
          { seq: i },
        );
    });
    expect(await waitFor(() => s.collector.requests.length > before)).toBe(true);
    await a.close();
    s.collector.setMode({ kind: 'ok' });
    await b.evaluate(() =>
      (window as unknown as { pulse: { track(n: string): void } }).pulse.track('wake'),
    );
    expect(await waitFor(() => seqsOf(s.collector, 'orphan').size === 10, 30_000)).toBe(true);
  });
});
