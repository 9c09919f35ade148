import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browseAndLogIn,
  memberSelector,
  PLAYGROUND,
  startPlaygroundStack,
  type PlaygroundStack,
} from '../fixtures/playground-stack';

const SHOTS = 'test-results/playground';

/**
 * The playground as `npm run dev` serves it (the edge under wrangler dev, the embedded
 * backend, the demo site and dashboard), driven in Chromium: browse, view pricing three times,
 * log in; the dashboard shows the events and the user in the segment, and decide returns the
 * trigger's client action. Screenshots go to test-results/playground/.
 */
describe('playground: demo site and dashboard in Chromium', () => {
  let stack: PlaygroundStack;

  beforeAll(async () => {
    stack = await startPlaygroundStack();
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('shows a visitor who viewed pricing three times and logged in, and decide returns the action', async () => {
    const { backend } = stack;
    const context = await stack.browser.newContext();
    const page = await context.newPage();
    const loggedInAt = await browseAndLogIn(stack, page);
    // Leaving the page flushes what is queued.
    await page.goto(`${stack.siteUrl}/`);

    const dashboard = await context.newPage();
    const problems: string[] = [];
    dashboard.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    dashboard.on('pageerror', (error) => problems.push(String(error)));
    await dashboard.goto(`${stack.siteUrl}/dashboard#segments`);
    const member = dashboard.locator(memberSelector());
    await member.waitFor({ timeout: 30_000 }).catch(async (error: unknown) => {
      await dashboard.screenshot({ path: `${SHOTS}/dashboard-failed.png`, fullPage: true });
      throw new Error(`${String(error)}; page errors: ${problems.join(' | ')}`);
    });
    console.log(
      `[playground] the dashboard showed ${PLAYGROUND.user} in the segment ${Date.now() - loggedInAt} ms after the login`,
    );
    await dashboard.screenshot({ path: `${SHOTS}/dashboard-segments.png`, fullPage: true });

    // The overview's counts (live, last 30 minutes) are the warehouse's: every event once.
    await dashboard.click('#views a[data-view="overview"]');
    const events = await backend.warehouse.eventCount(PLAYGROUND.customer);
    expect(events).toBeGreaterThanOrEqual(9); // 8 page views and the identify, at least
    await expect
      .poll(async () => Number(await dashboard.locator('#total-events').textContent()), {
        timeout: 20_000,
      })
      .toBe(await backend.warehouse.eventCount(PLAYGROUND.customer));
    // One browser, one visitor id, before and after the login.
    expect(await dashboard.locator('#total-visitors').textContent()).toBe('1');
    const pricingRow = dashboard.locator('#top-pages tr', { hasText: '/pricing' });
    await expect
      .poll(async () => pricingRow.locator('td').last().textContent(), { timeout: 20_000 })
      .toBe('3');
    // Each panel fills in when its own answer lands: wait for the stream's.
    await expect
      .poll(() => dashboard.locator('#stream li').count(), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await dashboard.screenshot({ path: `${SHOTS}/dashboard.png`, fullPage: true });
    expect(problems).toEqual([]);

    await dashboard.click('#views a[data-view="segments"]');
    // The profile view shows the stitched identity.
    await member.click();
    await dashboard.locator('#profile-details').waitFor();
    const profile = await dashboard.locator('#profile-details').textContent();
    expect(profile).toContain(PLAYGROUND.user);
    expect(profile).toContain('pricing_fans');
    await dashboard.screenshot({ path: `${SHOTS}/dashboard-profile.png`, fullPage: true });

    // decide through the SDK and the edge returns the segment and the trigger's client action,
    // and the demo site shows the offer it stands for.
    const decided = await page.evaluate(() =>
      (
        window as unknown as {
          pulse: { decide(): Promise<{ segments: string[]; actions: Array<{ name: string }> }> };
        }
      ).pulse.decide(),
    );
    expect(decided.segments).toContain('pricing_fans');
    expect(decided.actions).toContainEqual(
      expect.objectContaining({ name: 'show_offer', payload: { discount: 20 } }),
    );
    await expect
      .poll(() => page.locator('#offer').textContent(), { timeout: 10_000 })
      .toContain('20% off');
    await page.screenshot({ path: `${SHOTS}/site-offer.png` });
    await context.close();
  });
});
