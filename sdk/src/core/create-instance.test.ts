import { LIMITS } from '@pulse/contract';
import { describe, expect, it, vi } from 'vitest';
import { createWorld, openTab as openNow, type World } from '../../test/fake-env';
import pkg from '../../package.json' with { type: 'json' };
import { MAX_EVENT_BYTES } from './client';
import { createInstance } from './create-instance';
import type { Plugin } from './types';
import { VERSION } from './version';

const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});

const openTab = async (w: World, options?: Parameters<typeof openNow>[1]) => {
  const tab = openNow(w, { flushInterval: 10, ...options });
  await w.advance(0);
  return tab;
};

const events = (w: World) => w.requests.flatMap((r) => r.batch.events);

describe('the SDK never throws into the page', () => {
  it('buffers calls made before init() and runs them in order afterwards', async () => {
    const w = createWorld();
    let client: unknown;
    const pulse = createInstance({ env: () => w.env(99), attach: (c) => (client = c) });
    pulse.track('first');
    pulse.identify('u1');
    pulse.track('second');
    const flushed = pulse.flush();
    expect(client).toBeUndefined();
    pulse.init({ key: 'k', endpoint: 'https://edge.test', autoPageViews: false });
    await w.advance(0);
    await flushed;
    expect(events(w).map((e) => [e.event_name, e.user_id])).toEqual([
      ['first', null],
      ['identify', 'u1'],
      ['second', 'u1'],
    ]);
  });

  it('drops calls beyond 100 before init() with a warning', () => {
    const pulse = createInstance({ env: () => createWorld().env(98), attach: () => {} });
    const errors: string[] = [];
    pulse.on('error', (e) => errors.push(e.code));
    for (let i = 0; i < 101; i++) pulse.track('early');
    expect(errors).toEqual(['invalid_call']);
  });

  it('reports bad options and a second init() instead of throwing', () => {
    const w = createWorld();
    const pulse = createInstance({ env: () => w.env(97), attach: () => {} });
    const errors: string[] = [];
    pulse.on('error', (e) => errors.push(e.code));
    expect(() => pulse.init(undefined as never)).not.toThrow();
    expect(() => pulse.init({ key: '', endpoint: 'x' })).not.toThrow();
    pulse.init({ key: 'k', endpoint: 'https://edge.test' });
    pulse.init({ key: 'k', endpoint: 'https://edge.test' });
    expect(errors).toEqual(['invalid_options', 'invalid_options', 'invalid_call']);
  });

  it('reports a platform that fails at init() instead of throwing', () => {
    const pulse = createInstance({
      env: () => {
        throw new ReferenceError('window is not defined');
      },
      attach: () => {},
    });
    const errors: string[] = [];
    pulse.on('error', (e) => errors.push(e.message));
    expect(() => pulse.init({ key: 'k', endpoint: 'https://e' })).not.toThrow();
    expect(errors[0]).toMatch(/window is not defined/);
  });

  it('rejects a non-string name or non-object properties with an error', async () => {
    const w = createWorld();
    const { pulse, seen } = await openTab(w);
    expect(() => pulse.track(42 as never)).not.toThrow();
    pulse.track('list', [1, 2] as never);
    pulse.identify('' as never);
    pulse.alias(undefined as never);
    await pulse.flush();
    expect(seen.error.map((e) => e.code)).toEqual([
      'invalid_call',
      'invalid_call',
      'invalid_call',
      'invalid_call',
    ]);
    expect(w.requests).toEqual([]);
  });

  it('sends circular and BigInt properties in a safe form, with a report', async () => {
    const w = createWorld();
    const { pulse, seen } = await openTab(w);
    const loop: Record<string, unknown> = { n: 1n };
    loop.self = loop;
    expect(() => pulse.track('odd', { loop })).not.toThrow();
    await pulse.flush();
    expect(events(w)[0]!.properties).toEqual({ loop: { n: '1', self: '[Circular]' } });
    expect(seen.error.map((e) => e.code)).toEqual(['invalid_properties']);
  });

  it('refuses an event over 32 KB at track() and never sends it', async () => {
    const w = createWorld();
    const { pulse, seen } = await openTab(w);
    pulse.track('huge', { blob: 'é'.repeat(17_000) }); // 34 KB in UTF-8, 17 K characters
    pulse.track('fine');
    await pulse.flush();
    expect(events(w).map((e) => e.event_name)).toEqual(['fine']);
    expect(seen.error).toEqual([
      {
        code: 'event_too_large',
        message: expect.stringMatching(/huge is 34\d{3} bytes \(limit 32768\)/),
      },
    ]);
  });

  it('keeps delivering from memory when even the queue store fails, and says so', async () => {
    const w = createWorld();
    w.store.broken = true;
    const { pulse, seen } = await openTab(w);
    pulse.track('a');
    await pulse.flush();
    expect(events(w).map((e) => e.event_name)).toEqual(['a']);
    expect(seen.error.map((e) => e.code)).toContain('storage');
  });

  it('survives a subscriber that throws', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w);
    pulse.on('sent', () => {
      throw new Error('subscriber bug');
    });
    const sent: string[][] = [];
    const off = pulse.on('sent', ({ ids }) => sent.push(ids));
    pulse.track('a');
    await pulse.flush();
    off();
    pulse.track('b');
    await pulse.flush();
    expect(sent).toHaveLength(1);
    expect(events(w)).toHaveLength(2);
  });
});

describe('plugins', () => {
  it('run in order and can enrich, replace or drop events', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w);
    const order: string[] = [];
    pulse.use((e) => (order.push('1'), { ...e, properties: { ...e.properties, plan: 'pro' } }));
    pulse.use((e) => (order.push('2'), e.event_name == 'secret' ? null : e));
    pulse.track('public', { a: 1 });
    pulse.track('secret');
    await pulse.flush();
    expect(events(w).map((e) => [e.event_name, e.properties])).toEqual([
      ['public', { a: 1, plan: 'pro' }],
    ]);
    expect(order).toEqual(['1', '2', '1', '2']);
  });

  it('skips a plugin that throws and keeps the event', async () => {
    const w = createWorld();
    const { pulse, seen } = await openTab(w);
    pulse.use(() => {
      throw new Error('plugin bug');
    });
    pulse.use(null as unknown as Plugin);
    pulse.track('kept');
    await pulse.flush();
    expect(events(w).map((e) => e.event_name)).toEqual(['kept']);
    expect(seen.error.map((e) => e.code)).toEqual(['invalid_call', 'plugin']);
  });
});

describe('events', () => {
  it('carry the fields of the wire contract', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w);
    pulse.page();
    pulse.track('clicked', { x: 1 });
    pulse.identify('u1', { plan: 'pro' });
    pulse.alias('u2');
    pulse.reset();
    pulse.track('after-reset');
    await pulse.flush();
    const [page, custom, identify, alias, after] = events(w);
    expect(page).toMatchObject({
      event_type: 'page_view',
      event_name: '/p',
      properties: { url: 'https://site.test/p', path: '/p' },
      user_id: null,
      context: { locale: 'en-GB' },
      timestamp: new Date(w.now()).toISOString(),
    });
    expect(page!.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(custom).toMatchObject({
      event_type: 'custom',
      event_name: 'clicked',
      properties: { x: 1 },
    });
    expect(identify).toMatchObject({
      event_type: 'identify',
      user_id: 'u1',
      properties: { plan: 'pro' },
    });
    expect(alias).toMatchObject({ event_type: 'alias', user_id: 'u2', previous_id: 'u1' });
    expect(new Set([page, custom, identify, alias].map((e) => e!.visitor_id)).size).toBe(1);
    expect(new Set([page, custom, identify, alias].map((e) => e!.session_id)).size).toBe(1);
    expect(after!.visitor_id).not.toBe(page!.visitor_id);
    expect(after!.session_id).not.toBe(page!.session_id);
    expect(after!.user_id).toBeNull();
  });

  it('use the contract limit and the package version', () => {
    expect(MAX_EVENT_BYTES).toBe(LIMITS.maxEventBytes);
    expect(VERSION).toBe(pkg.version);
  });
});

describe('consent', () => {
  it('stores and sends nothing while consent is withheld, then sends what waited in memory', async () => {
    const w = createWorld();
    const { pulse, seen } = await openTab(w, { requireConsent: true, maxQueueEvents: 3 });
    pulse.track('waiting');
    pulse.identify('u1');
    pulse.track('w2');
    pulse.track('over'); // the bound holds in memory too
    await pulse.flush();
    await w.advance(1000);
    expect(w.requests).toEqual([]);
    expect(w.kv.keys()).toEqual([]);
    expect(w.store.rows.size).toBe(0);
    expect(seen.dropped).toEqual([{ count: 1 }]);
    pulse.consent(true);
    await pulse.flush();
    expect(events(w).map((e) => [e.event_name, e.user_id])).toEqual([
      ['waiting', null],
      ['identify', 'u1'],
      ['w2', 'u1'],
    ]);
    expect(w.requests[0]!.batch.dropped).toBe(1);
    expect(w.kv.get('pulse:c')).toBe('1');
    expect(w.kv.get('pulse:u')).toBe('u1');
    // Consent is remembered: the next page needs no new consent(true).
    const next = await openTab(w, { requireConsent: true });
    next.pulse.track('next-page');
    await next.pulse.flush();
    expect(events(w).map((e) => e.event_name)).toContain('next-page');
  });

  it('discards what waited when consent is refused, and collects nothing while refused', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w, { requireConsent: true });
    pulse.track('waiting');
    pulse.consent(false);
    pulse.track('while-refused');
    pulse.identify('u-refused');
    pulse.consent(true);
    pulse.track('after');
    await pulse.flush();
    expect(events(w).map((e) => [e.event_name, e.user_id])).toEqual([['after', null]]);
  });

  it('clears the queue and ids on consent(false) and stops, remembering only the refusal', async () => {
    const w = createWorld();
    const { pulse } = await openTab(w);
    w.answers.push({ status: 503, retryAfter: '1', body: null });
    pulse.identify('u1');
    await w.advance(10);
    expect(w.store.rows.size).toBe(1);
    pulse.consent(false);
    await w.advance(0);
    pulse.track('after');
    await w.advance(60_000);
    expect(w.requests).toHaveLength(1);
    expect(w.store.rows.size).toBe(0);
    expect(w.kv.keys()).toEqual(['pulse:c']);
    expect(w.kv.get('pulse:c')).toBe('0');
    // A later page keeps to the refusal even without requireConsent.
    const later = await openTab(w);
    later.pulse.track('later');
    await w.advance(1000);
    expect(w.requests).toHaveLength(1);
  });
});

void warn;
