import { describe, expect, it, vi } from 'vitest';
import { createWorld, openTab as openNow, settle, type World } from '../../test/fake-env';
import { createInstance } from './create-instance';
import type { Decision, Reply } from './types';

vi.spyOn(console, 'warn').mockImplementation(() => {});

const openTab = async (w: World, options?: Parameters<typeof openNow>[1]) => {
  const tab = openNow(w, { flushInterval: 10, ...options });
  await w.advance(0);
  return tab;
};

const answer = (segments: string[], actions: Decision['actions'] = []): Reply => ({
  status: 200,
  retryAfter: null,
  body: { visitor_id: 'v', id: 'v', segments, actions },
});

const banner = { trigger_id: 't1', name: 'show_banner', payload: { text: '20% off' } };

describe('pulse.decide()', () => {
  it("asks the edge for this visitor's segments with a GET and resolves with the answer", async () => {
    const w = createWorld();
    const { pulse } = await openTab(w);
    pulse.track('seen');
    await pulse.flush();
    const visitor = w.requests[0]!.batch.events[0]!.visitor_id;
    w.decide = answer(['pricing_fans'], [banner]);
    const decision = await pulse.decide();
    expect(decision).toMatchObject({ segments: ['pricing_fans'], actions: [banner] });
    expect(w.decideRequests).toEqual([
      `https://edge.test/v1/decide?key=pk_test&visitor_id=${visitor}`,
    ]);
  });

  it('runs a decide() made before init() once the SDK starts', async () => {
    const w = createWorld();
    const pulse = createInstance({ env: () => w.env(90), attach: () => {} });
    w.decide = answer(['early']);
    const pending = pulse.decide();
    expect(w.decideRequests).toHaveLength(0);
    pulse.init({ key: 'k', endpoint: 'https://edge.test', autoPageViews: false });
    expect((await pending).segments).toEqual(['early']);
  });

  it('resolves with nothing, never rejects, and reports when the edge cannot answer', async () => {
    const w = createWorld();
    const { pulse, seen } = await openTab(w);
    w.decide = 'network';
    await expect(pulse.decide()).resolves.toEqual({ segments: [], actions: [] });
    w.decide = { status: 503, retryAfter: '5', body: { error: { code: 'unavailable' } } };
    await expect(pulse.decide()).resolves.toEqual({ segments: [], actions: [] });
    expect(seen.error.filter((e) => e.code == 'delivery').map((e) => e.message)).toEqual([
      expect.stringMatching(/decide failed .*Failed to fetch/),
      'decide failed (503)',
    ]);
  });

  it('shares no visitor id without consent: no request, no segments', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w, { requireConsent: true });
    w.decide = answer(['pricing_fans']);
    expect(await pulse.decide()).toEqual({ segments: [], actions: [] });
    expect(w.decideRequests).toEqual([]);
    pulse.consent(true);
    expect((await pulse.decide()).segments).toEqual(['pricing_fans']);
  });
});

describe("pulse.on('segment')", () => {
  it('costs no request while nobody listens', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w);
    pulse.track('a');
    pulse.identify('u1');
    await pulse.flush();
    await w.advance(1000);
    expect(w.requests.length).toBeGreaterThan(0);
    expect(w.decideRequests).toEqual([]);
  });

  it('hears the first decision, then only changes, asking again after events reach the edge', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w);
    const heard: Decision[] = [];
    w.decide = answer([]);
    pulse.on('segment', (d) => heard.push(d));
    await settle();
    expect(w.decideRequests).toHaveLength(1);
    expect(heard.map((d) => d.segments)).toEqual([[]]);

    // Acknowledged events may move the visitor: decide runs again; same segments, no call.
    pulse.track('pricing');
    await pulse.flush();
    await settle();
    expect(w.decideRequests).toHaveLength(2);
    expect(heard).toHaveLength(1);

    // A login links the visitor to a user who is in a segment: the listener hears it.
    w.decide = answer(['pricing_fans'], [banner]);
    pulse.identify('user-9');
    await pulse.flush();
    await settle();
    expect(heard.map((d) => [d.segments, d.actions])).toEqual([
      [[], []],
      [['pricing_fans'], [banner]],
    ]);
    expect(w.requests.flatMap((r) => r.batch.events.map((e) => e.event_type))).toContain(
      'identify',
    );
  });

  it('asks at init when the listener came first, and stops asking once unsubscribed', async () => {
    const w = createWorld();
    const pulse = createInstance({ env: () => w.env(91), attach: () => {} });
    const heard: string[][] = [];
    w.decide = answer(['returning']);
    const off = pulse.on('segment', (d) => heard.push(d.segments));
    pulse.init({ key: 'k', endpoint: 'https://edge.test', autoPageViews: false });
    await settle();
    expect(heard).toEqual([['returning']]);
    off();
    off(); // a second call changes nothing
    pulse.track('after');
    await pulse.flush();
    await settle();
    expect(w.decideRequests).toHaveLength(1);
  });

  it('keeps delivering when a segment listener throws', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w);
    w.decide = answer(['x']);
    pulse.on('segment', () => {
      throw new Error('listener bug');
    });
    await settle();
    pulse.track('still');
    await pulse.flush();
    expect(w.names()).toContain('still');
  });

  it('asks for a user only with the proof identify was given, and not after reset', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w);
    pulse.identify('user 42', { plan: 'pro' });
    await pulse.decide();
    expect(w.decideRequests.at(-1)).not.toContain('user_id');
    pulse.identify('user 42', {}, { userHash: 'ab12' });
    await pulse.decide();
    expect(w.decideRequests.at(-1)).toMatch(/&user_id=user%2042&user_hash=ab12$/);
    pulse.reset();
    await pulse.decide();
    expect(w.decideRequests.at(-1)).not.toContain('user_id');
    // Events never carry the proof.
    await pulse.flush();
    expect(JSON.stringify(w.requests.map((r) => r.batch))).not.toContain('ab12');
  });

  it('builds every edge URL from the endpoint, even one whose host and path say /events', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w, { endpoint: 'https://events.example.com/events/' });
    pulse.track('seen');
    await pulse.flush();
    await pulse.decide();
    expect(w.requests[0]!.url).toBe('https://events.example.com/events/v1/events?key=pk_test');
    expect(w.decideRequests[0]).toMatch(
      /^https:\/\/events\.example\.com\/events\/v1\/decide\?key=pk_test&visitor_id=/,
    );
  });
});
