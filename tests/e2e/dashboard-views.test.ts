import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerType } from '@hono/node-server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../backend/src/start-backend';
import { startPlayground } from '../../playground/src/server';
import { launchChromium } from '../browser/harness';
import type { PulseEvent } from '@pulse/contract';
import { dashboardHistory, HISTORY_USER } from '../fixtures/dashboard-history';

const SHOTS = 'test-results/dashboard';
const CUSTOMER = 'cust_demo';
const SECRET = 'sk_demo';
/** Bound on every wait for the page: it fails with what was on screen instead of hanging. */
const WAIT = { timeout: 20_000, interval: 100 };

/**
 * Every view of the playground dashboard in Chromium, against the embedded backend that
 * `npm run dev` runs, over three days of generated history: the numbers on screen are the
 * API's answers to the same questions (the page says its range and filters in data
 * attributes), the views are reachable and usable from the keyboard, and each view is saved
 * as a screenshot under test-results/dashboard/.
 */
describe('dashboard views in Chromium', () => {
  let dir: string;
  let backend: Backend;
  let site: { url: string; server: ServerType };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  /** The legacy pipeline's count endpoint (outside Pulse, so a double): the history's counts, one row off. */
  let legacy: Server;
  let legacyUrl: string;
  let history: PulseEvent[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-dashboard-'));
    backend = await startBackend({
      dataDir: dir,
      port: 0,
      ingestSecret: 'dashboard-secret',
      apiKeys: { [SECRET]: CUSTOMER },
      allowPrivateWebhooks: true,
    });
    history = dashboardHistory(CUSTOMER, Date.now() - 10 * 60_000);
    legacy = createServer((_req, res) => {
      const counts = new Map<string, number>();
      for (const event of history) {
        const hour = `${event.timestamp.slice(0, 13)}:00:00.000Z`;
        const key = `${hour}|${event.event_type}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const rows = [...counts].map(([key, count]) => {
        const [hour, event_type] = key.split('|');
        return { hour, event_type, count };
      });
      // The legacy pipeline counted one click twice.
      const click = rows.find((row) => row.event_type === 'click')!;
      click.count += 1;
      // Its dashboard's unique visitors per hour agree with the history.
      const visitors = new Map<string, Set<string>>();
      for (const event of history) {
        const hour = `${event.timestamp.slice(0, 13)}:00:00.000Z`;
        visitors.set(hour, (visitors.get(hour) ?? new Set()).add(event.visitor_id));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          counts: rows,
          visitors: [...visitors].map(([hour, ids]) => ({ hour, unique_visitors: ids.size })),
        }),
      );
    });
    await new Promise<void>((resolve) => legacy.listen(0, '127.0.0.1', resolve));
    legacyUrl = `http://127.0.0.1:${(legacy.address() as AddressInfo).port}/counts`;
    for (let at = 0; at < history.length; at += 500) {
      await backend.processor.process(history.slice(at, at + 500));
    }
    site = await startPlayground({
      port: 0,
      endpoint: 'http://127.0.0.1:9',
      key: 'pk_demo',
      backend: { url: backend.url!, secretKey: SECRET },
    });
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    if (legacy) await new Promise((resolve) => legacy.close(resolve));
    if (site) await new Promise((resolve) => site.server.close(resolve));
    await backend?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
    problems = [];
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
  });
  afterEach(async () => {
    await context?.close();
  });

  async function api<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(`${backend.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data: T; errors?: unknown };
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    return body.data;
  }
  async function rest<T>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await fetch(`${backend.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
    });
    expect(res.ok, `${path}: ${res.status}`).toBe(true);
    return (await res.json()) as T;
  }

  /**
   * Waits until the page has refreshed after `since` with no other refresh queued or running,
   * and returns the range and filters of what it shows.
   */
  async function settled(since: number) {
    await expect
      .poll(
        () =>
          page.evaluate(() =>
            document.body.dataset.busy === 'false' ? Number(document.body.dataset.updated) : 0,
          ),
        WAIT,
      )
      .toBeGreaterThan(since);
    return page.evaluate(() => ({
      range: JSON.parse(document.body.dataset.range!) as { from: string; to: string },
      filters: JSON.parse(document.body.dataset.filters!) as Record<string, string>,
    }));
  }
  const stamp = () => page.evaluate(() => Number(document.body.dataset.updated ?? 0));
  const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  const textOf = async (selector: string) => (await page.locator(selector).textContent())?.trim();

  type Summary = { events: number; uniqueVisitors: number; sessions: number; pageViews: number };
  const SUMMARY = `query($from: DateTime!, $to: DateTime!, $filter: EventFilter) {
    summary(from: $from, to: $to, filter: $filter) { events uniqueVisitors sessions pageViews }
  }`;
  const BREAKDOWN = `query($from: DateTime!, $to: DateTime!, $d: Dimension!, $filter: EventFilter) {
    breakdown(from: $from, to: $to, dimension: $d, filter: $filter, limit: 10) { value count uniqueVisitors }
  }`;

  /** The tiles show the API's summary of the page's range and filters. */
  async function expectTilesMatchApi(since: number) {
    const { range, filters } = await settled(since);
    const filter = Object.keys(filters).length ? filters : null;
    const { summary } = await api<{ summary: Summary }>(SUMMARY, { ...range, filter });
    expect(summary.events).toBeGreaterThan(0);
    expect({
      visitors: await textOf('#total-visitors'),
      views: await textOf('#total-pageviews'),
      events: await textOf('#total-events'),
      sessions: await textOf('#total-sessions'),
    }).toEqual({
      visitors: String(summary.uniqueVisitors),
      views: String(summary.pageViews),
      events: String(summary.events),
      sessions: String(summary.sessions),
    });
    return { range, filter, summary };
  }

  it('overview: a range, its totals and every breakdown equal the API, with comparison and click-to-filter', async () => {
    await page.goto(`${site.url}/dashboard`);
    await settled(0);
    // Reported, not asserted (no timing assertions): first paint and the first full answer.
    const paint = await page.evaluate(() => ({
      firstPaint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1,
      firstData: Number(document.body.dataset.updated) - performance.timeOrigin,
    }));
    console.log(
      `[dashboard] first contentful paint ${Math.round(paint.firstPaint)} ms, every panel filled ${Math.round(paint.firstData)} ms after navigation`,
    );
    let since = await stamp();
    await page.selectOption('#range', '7d');
    const { range, summary } = await expectTilesMatchApi(since);
    expect(summary.events).toBe(history.length);

    // Every breakdown panel lists the API's top values in order, with their counts.
    for (const dimension of [
      'PAGE',
      'ENTRY_PAGE',
      'EXIT_PAGE',
      'REFERRER',
      'UTM_SOURCE',
      'UTM_CAMPAIGN',
      'COUNTRY',
      'DEVICE',
      'BROWSER',
      'EVENT_NAME',
    ]) {
      const filter = dimension === 'PAGE' ? { eventType: 'page_view' } : null;
      const { breakdown } = await api<{
        breakdown: Array<{ value: string; count: number; uniqueVisitors: number }>;
      }>(BREAKDOWN, { ...range, d: dimension, filter });
      expect(breakdown.length, dimension).toBeGreaterThan(0);
      const rows = await page
        .locator(`[data-dimension="${dimension}"] tbody tr`)
        .evaluateAll((trs) =>
          trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())),
        );
      expect(rows, dimension).toEqual(
        breakdown.map((r) => [r.value || '(none)', String(r.uniqueVisitors), String(r.count)]),
      );
    }
    await shot('overview-7d');

    // Comparison: each tile says the previous period's number, from the API.
    since = await stamp();
    await page.check('#compare');
    const compared = await settled(since);
    const span = Date.parse(compared.range.to) - Date.parse(compared.range.from);
    const previous = await api<{ summary: Summary }>(SUMMARY, {
      from: new Date(Date.parse(compared.range.from) - span).toISOString(),
      to: compared.range.from,
    });
    expect(await textOf('#total-events-change')).toContain(`(${previous.summary.events})`);

    // A click on a referrer filters the whole dashboard by it.
    since = await stamp();
    await page.click('[data-dimension="REFERRER"] button[data-value="https://google.com/"]');
    const filtered = await expectTilesMatchApi(since);
    expect(filtered.filter).toEqual({ referrer: 'https://google.com/' });
    expect(filtered.summary.events).toBeLessThan(summary.events);
    const countries = await api<{ breakdown: Array<{ value: string; count: number }> }>(BREAKDOWN, {
      ...filtered.range,
      d: 'COUNTRY',
      filter: filtered.filter,
    });
    expect(
      await page
        .locator('[data-dimension="COUNTRY"] tbody td:last-child')
        .evaluateAll((tds) => tds.map((td) => td.textContent!.trim())),
    ).toEqual(countries.breakdown.map((r) => String(r.count)));
    await shot('overview-filtered');

    // The filter chip goes away from the keyboard.
    since = await stamp();
    await page.focus('#filters button[data-filter="referrer"]');
    await page.keyboard.press('Enter');
    const cleared = await expectTilesMatchApi(since);
    expect(cleared.filter).toBeNull();

    // A custom range of whole UTC days.
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.selectOption('#range', 'custom');
    await page.fill('#range-from', yesterday);
    await page.fill('#range-to', today);
    since = await stamp();
    await page.click('#apply-range');
    const custom = await expectTilesMatchApi(since);
    expect(custom.range).toEqual({
      from: `${yesterday}T00:00:00.000Z`,
      to: new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString(),
    });
    await shot('overview-custom');
    expect(problems).toEqual([]);
  });

  it('funnels: the conversion on screen is the API funnel over the range', async () => {
    await page.goto(`${site.url}/dashboard#funnels`);
    await page.selectOption('#range', '7d');
    const since = await stamp();
    await page.click('#funnel-form button[type=submit]');
    const { range } = await settled(since);
    const { funnel } = await api<{ funnel: { steps: Array<{ count: number }> } }>(
      `query($from: DateTime!, $to: DateTime!) {
        funnel(from: $from, to: $to, windowSeconds: 3600, steps: [
          { eventType: page_view, page: "/" }, { eventType: page_view, page: "/pricing" },
          { eventType: identify }]) { steps { count } }
      }`,
      range,
    );
    expect(funnel.steps[0]!.count).toBeGreaterThan(funnel.steps[1]!.count);
    expect(funnel.steps[1]!.count).toBeGreaterThan(0);
    await expect
      .poll(
        () =>
          page
            .locator('#funnel-result tbody tr td:nth-child(2)')
            .evaluateAll((tds) => tds.map((td) => Number(td.textContent))),
        WAIT,
      )
      .toEqual(funnel.steps.map((s) => s.count));
    await shot('funnels');
    expect(problems).toEqual([]);
  });

  it('segments: the editor validates and previews as the rule is typed, saves with its backfill, lists members with their activity', async () => {
    await page.goto(`${site.url}/dashboard#segments`);
    await page.fill('#segment-id', 'trial_clickers');
    await page.fill('#segment-name', 'Clicked start trial');
    await page.selectOption('#segment-event-type', 'click');
    await page.fill('#segment-event-name', 'start_trial');
    await page.fill('#segment-min-count', '2');
    // A broken window is named before anything is saved.
    await page.fill('#segment-window', '7 days');
    await page.locator('#segment-errors li[data-path="rule.window"]').waitFor(WAIT);
    await page.fill('#segment-window', '7d');
    const rule = { event_type: 'click', event_name: 'start_trial', min_count: 2, window: '7d' };
    const preview = await rest<{ members: number }>('/v1/segments/preview', {
      method: 'POST',
      body: JSON.stringify({ rule }),
    });
    expect(preview.members).toBeGreaterThan(0);
    await expect
      .poll(() => page.locator('#segment-preview').getAttribute('data-members'), WAIT)
      .toBe(String(preview.members));
    expect(await page.locator('#segment-errors li').count()).toBe(0);
    await shot('segment-editor');

    await page.click('#segment-save');
    await expect
      .poll(() => page.locator('#segment-backfill').getAttribute('data-state'), WAIT)
      .toBe('done');
    expect(await page.locator('#segment-backfill').getAttribute('data-members')).toBe(
      String(preview.members),
    );
    const { members } = await rest<{ members: string[] }>(
      '/v1/segments/trial_clickers/members?limit=50',
    );
    expect(members.length).toBe(preview.members);
    const block = page.locator('[data-segment="trial_clickers"]');
    await expect
      .poll(() => block.locator('[data-member]').allTextContents(), WAIT)
      .toEqual(members);
    const { profileActivity } = await api<{
      profileActivity: Array<{ id: string; count: number }>;
    }>(`query($ids: [String!]!) { profileActivity(ids: $ids) { id count } }`, { ids: members });
    const counts = await block
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.lastElementChild!.textContent!.trim()));
    expect(counts).toEqual(
      members.map((id) => String(profileActivity.find((a) => a.id === id)?.count ?? 0)),
    );
    await shot('segments');
    // The deliberate 422 of the broken window is the only console error.
    expect(problems.filter((p) => !p.includes('422'))).toEqual([]);
  });

  it('profiles: a search by email shows the person over both devices, its timeline, segments and what decide answers', async () => {
    await rest('/v1/segments', {
      method: 'POST',
      body: JSON.stringify({
        id: 'pricing_any',
        rule: { event_type: 'page_view', min_count: 1, window: '7d' },
      }),
    });
    await page.goto(`${site.url}/dashboard`);
    // Keyboard: the Profiles link is reachable with Tab and opens with Enter.
    let reached = false;
    for (let i = 0; i < 10 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.textContent === 'Profiles');
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.body.dataset.view), WAIT).toBe('profiles');
    await page.fill('#profile-id', HISTORY_USER.email.toUpperCase());
    await page.keyboard.press('Enter');
    await page.locator(`#profile-details[data-profile="${HISTORY_USER.id}"]`).waitFor(WAIT);
    const profile = await rest<{ visitor_ids: string[]; events: number }>(
      `/v1/profiles/${HISTORY_USER.id}`,
    );
    expect(profile.visitor_ids.sort()).toEqual([...HISTORY_USER.devices].sort());
    expect(await textOf('#profile-visitors')).toBe(profile.visitor_ids.join(', '));
    expect(await textOf('#profile-events')).toBe(String(profile.events));
    expect(await textOf('#profile-segments')).toContain('pricing_any');
    expect(await textOf('#profile-decide')).toContain('pricing_any');
    const { profileTimeline } = await api<{ profileTimeline: Array<{ eventId: string }> }>(
      `query($id: String!) { profileTimeline(id: $id, limit: 100) { eventId } }`,
      { id: HISTORY_USER.id },
    );
    const shown = await page
      .locator('#profile-timeline li')
      .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-event')));
    expect(shown).toEqual(profileTimeline.map((e) => e.eventId));
    // The timeline holds both devices.
    const devices = new Set(
      (await page.locator('#profile-timeline li').allTextContents()).map(
        (t) => /device (\S+)/.exec(t)?.[1],
      ),
    );
    expect([...devices].sort()).toEqual([...HISTORY_USER.devices].sort());
    await shot('profiles');
    expect(problems).toEqual([]);
  });

  it('migration: the parity report of the range, with the rows that alert first', async () => {
    await page.goto(`${site.url}/dashboard#migration`);
    await expect
      .poll(() => page.locator('#parity-summary').getAttribute('data-state'), WAIT)
      .toBe('none');
    await page.selectOption('#range', '7d');
    await page.fill('#parity-source', legacyUrl);
    await page.click('#parity-source-form button[type=submit]');
    await expect
      .poll(() => page.locator('#parity-summary').getAttribute('data-state'), WAIT)
      .toBe('alert');
    const { range } = await settled(0);
    const report = await rest<{
      totals: { legacy: number; pulse: number };
      rows: Array<{ hour: string; event_type: string; alert: boolean }>;
    }>(`/v1/parity?from=${range.from}&to=${range.to}`);
    expect(report.totals).toMatchObject({ legacy: history.length + 1, pulse: history.length });
    const alerting = report.rows.filter((row) => row.alert);
    expect(alerting.map((row) => row.event_type)).toEqual(['click']);
    expect(await textOf('#parity-summary')).toContain(
      `legacy ${(history.length + 1).toLocaleString('en-US')}, Pulse ${history.length.toLocaleString('en-US')}`,
    );
    const shown = page.locator('#parity-rows tbody tr');
    expect(await shown.first().getAttribute('data-alert')).toBe('true');
    expect(await page.locator('#parity-rows tbody tr[data-alert="true"]').count()).toBe(
      alerting.length,
    );
    expect(await shown.count()).toBe(Math.min(report.rows.length, 100));
    // The dashboard numbers: unique visitors per hour, all in agreement.
    const { visitors } = await rest<{ visitors: Array<{ legacy: number; pulse: number }> }>(
      `/v1/parity?from=${range.from}&to=${range.to}`,
    );
    expect(visitors.length).toBeGreaterThan(0);
    expect(visitors.every((row) => row.legacy === row.pulse)).toBe(true);
    expect(await page.locator('#parity-visitors').isVisible()).toBe(true);
    expect(await page.locator('#parity-visitors tbody tr').count()).toBe(
      Math.min(visitors.length, 100),
    );
    expect(await page.locator('#parity-visitors tbody tr[data-alert="true"]').count()).toBe(0);
    expect(await textOf('#parity-visitors-summary')).toContain(`0 of ${visitors.length} hours`);
    await shot('migration');
    // The 404 of the report before an endpoint was set is the only console error.
    expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
  });
});
