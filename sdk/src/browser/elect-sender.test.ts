import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMapKv } from '../../test/fake-env';
import { electSender } from './elect-sender';

type Listener = (e: { persisted?: boolean }) => void;

/** Each elector is a page with its own listeners; the lease lives in one shared localStorage. */
const page = () => {
  const listeners: Record<string, Listener[]> = {};
  return {
    listeners,
    fire: (type: string, e = {}) => listeners[type]?.forEach((l) => l(e)),
    install: () =>
      vi.stubGlobal('addEventListener', (type: string, l: Listener) => {
        (listeners[type] ||= []).push(l);
      }),
  };
};

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-11-25T10:00:00Z') });
  vi.stubGlobal('navigator', {}); // no Web Locks: the localStorage lease takes over
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('sender election without Web Locks (localStorage lease)', () => {
  it('lets one tab send, and hands over within a second when it leaves', () => {
    const kv = createMapKv();
    const a = page();
    const b = page();
    const seenA: boolean[] = [];
    const seenB: boolean[] = [];
    a.install();
    const heldA = electSender(kv, 'tab-a')('pulse:k', (s) => seenA.push(s));
    b.install();
    const heldB = electSender(kv, 'tab-b')('pulse:k', (s) => seenB.push(s));
    expect([heldA(), heldB()]).toEqual([true, false]);
    vi.advanceTimersByTime(10_000);
    expect([heldA(), heldB()]).toEqual([true, false]);
    expect(seenA).toEqual([true]);
    a.fire('pagehide');
    expect(kv.get('pulse:k')).toBeNull();
    vi.advanceTimersByTime(1000);
    expect(heldB()).toBe(true);
    expect(seenB.at(-1)).toBe(true);
  });

  it('takes over a lease its holder stopped renewing (a crashed tab) once it expires', () => {
    const kv = createMapKv();
    kv.set('pulse:k', `crashed ${Date.now() + 3000}`);
    const b = page();
    b.install();
    const held = electSender(kv, 'tab-b')('pulse:k', () => {});
    expect(held()).toBe(false);
    vi.advanceTimersByTime(2000);
    expect(held()).toBe(false);
    vi.advanceTimersByTime(2000);
    expect(held()).toBe(true);
    expect(kv.get('pulse:k')).toMatch(/^tab-b /);
  });

  it('asks again when shown from the back/forward cache', () => {
    const kv = createMapKv();
    const a = page();
    a.install();
    const held = electSender(kv, 'tab-a')('pulse:k', () => {});
    a.fire('pagehide');
    expect(held()).toBe(true); // still sending its own page-hide batch
    a.fire('pageshow', { persisted: true });
    expect(held()).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(held()).toBe(true);
  });
});
