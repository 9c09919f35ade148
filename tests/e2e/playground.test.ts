import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerType } from '@hono/node-server';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlayground } from '../../playground/src/server';
import { startBackend, type Backend } from '../../backend/src/start-backend';
import { launchChromium } from '../browser/harness';
import { freePort } from '../services/free-port';
import { PRICING_FANS } from '../fixtures/processing';
import { startWorkersEdge, type WorkersEdge } from '../services/wrangler-edge';

const SECRET = 'playground-secret';
const KEY = 'pk_demo';
const SECRET_KEY = 'sk_demo';
const CUSTOMER = 'cust_demo';
const USER = 'ada@example.com';
const SHOTS = 'test-results/playground';

/**
 * The playground as `npm run dev` serves it (the edge under wrangler dev, the embedded
 * backend, the demo site and dashboard), driven in Chromium: browse, view pricing three times,
 * log in; the dashboard shows the events and the user in the segment, and decide returns the
 * trigger's client action.
 */
describe('playground: demo site and dashboard in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-playground-'));
  let backend: Backend;
  let edge: WorkersEdge;
  let site: { url: string; server: ServerType };
  let browser: Browser;

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${backend.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${SECRET_KEY}`, 'content-type': 'application/json' },
    });
    expect(res.status, `${init.method ?? 'GET'} ${path}: ${await res.clone().text()}`).toBeLessThan(
      300,
    );
    return res.json() as Promise<Record<string, unknown>>;
  };

  beforeAll(async () => {
    backend = await startBackend({
      dataDir: dir,
      port: 0,
      ingestSecret: SECRET,
      apiKeys: { [SECRET_KEY]: CUSTOMER },
    });
    const sitePort = await freePort();
    edge = await startWorkersEdge({
      ingestUrl: `${backend.url}/internal/ingest`,
      ingestSecret: SECRET,
      keys: {
        [KEY]: {
          customer_id: CUSTOMER,
          allowed_origins: [`http://127.0.0.1:${sitePort}`],
          rate: { per_second: 1000, burst: 10_000 },
          routing: 'new',
        },
      },
    });
    site = await startPlayground({
      port: sitePort,
      endpoint: edge.url,
      key: KEY,
      backend: { url: backend.url!, secretKey: SECRET_KEY },
    });
    await api('/v1/segments', {
      method: 'POST',
      body: JSON.stringify({ ...PRICING_FANS, name: 'Viewed pricing 3+ times in 7 days' }),
    });
    await api('/v1/triggers', {
      method: 'POST',
      body: JSON.stringify({
        id: 'pricing_offer',
        segment_id: 'pricing_fans',
        on: 'enter',
        action: { type: 'client', name: 'show_offer', payload: { discount: 20 } },
      }),
    });
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await edge?.stop();
    await new Promise((resolve) => (site ? site.server.close(resolve) : resolve(undefined)));
    await backend?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a visitor who viewed pricing three times and logged in, and decide returns the action', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    for (const path of [
      '/',
      '/features',
      '/pricing',
      '/features',
      '/pricing',
      '/pricing',
      '/login',
    ]) {
      await page.goto(`${site.url}${path}`);
      await page.waitForFunction(() => !('_q' in (window as unknown as { pulse: object }).pulse));
    }
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#status:has-text("Logged in")');
    const loggedInAt = Date.now();
    // Leaving the page flushes what is queued.
    await page.goto(`${site.url}/`);

    const dashboard = await context.newPage();
    const problems: string[] = [];
    dashboard.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    dashboard.on('pageerror', (error) => problems.push(String(error)));
    await dashboard.goto(`${site.url}/dashboard/`);
    const member = dashboard.locator(`[data-segment="pricing_fans"] [data-member="${USER}"]`);
    await member.waitFor({ timeout: 30_000 }).catch(async (error: unknown) => {
      await dashboard.screenshot({ path: `${SHOTS}/dashboard-failed.png`, fullPage: true });
      const status = await dashboard.locator('#status').textContent();
      throw new Error(`${String(error)}; status: ${status}; page errors: ${problems.join(' | ')}`);
    });
    const shownAfter = Date.now() - loggedInAt;
    console.log(
      `[playground] the dashboard showed ${USER} in pricing_fans ${shownAfter} ms after the login`,
    );
    await dashboard.screenshot({ path: `${SHOTS}/dashboard.png`, fullPage: true });

    // The counts it shows are the warehouse's: every event once.
    const events = await backend.warehouse.eventCount(CUSTOMER);
    expect(events).toBeGreaterThanOrEqual(9); // 8 page views and the identify, at least
    await expect
      .poll(async () => Number(await dashboard.locator('#total-events').textContent()), {
        timeout: 20_000,
      })
      .toBe(await backend.warehouse.eventCount(CUSTOMER));
    const pricingRow = dashboard.locator('#top-pages tr', { hasText: '/pricing' });
    await expect
      .poll(async () => pricingRow.locator('td').last().textContent(), { timeout: 20_000 })
      .toBe('3');
    expect(await dashboard.locator('#stream li').count()).toBeGreaterThan(0);

    // The profile view shows the stitched identity.
    await member.click();
    await dashboard.locator('#profile-details').waitFor();
    const profile = await dashboard.locator('#profile-details').textContent();
    expect(profile).toContain(USER);
    expect(profile).toContain('pricing_fans');
    await dashboard.screenshot({ path: `${SHOTS}/dashboard-profile.png`, fullPage: true });

    // decide, as the page sees it through the edge, returns the segment and the client action.
    const decided = await page.evaluate(
      async ({ endpoint, key }) => {
        const visitor = localStorage.getItem('pulse:v') ?? '';
        const res = await fetch(
          `${endpoint}/v1/decide?key=${key}&visitor_id=${encodeURIComponent(visitor)}`,
        );
        return (await res.json()) as {
          segments: string[];
          actions: Array<{ name: string; payload: unknown }>;
        };
      },
      { endpoint: edge.url, key: KEY },
    );
    expect(decided.segments).toContain('pricing_fans');
    expect(decided.actions).toContainEqual(
      expect.objectContaining({ name: 'show_offer', payload: { discount: 20 } }),
    );
    await context.close();
  });
});
