import { describe, expect, it } from 'vitest';
import { createMapKv } from '../../test/fake-env';
import { createIdentity } from './identity';

const MIN = 60_000;

const setup = (persist = true) => {
  let t = Date.parse('2026-11-25T10:00:00Z');
  let n = 0;
  const kv = createMapKv();
  const make = () =>
    createIdentity(
      kv,
      () => t,
      () => `id-${++n}`,
      30 * MIN,
      () => persist,
    );
  return { kv, make, tick: (ms: number) => (t += ms) };
};

describe('identity', () => {
  it('keeps one session while events come within 30 minutes of each other', () => {
    const { make, tick } = setup();
    const id = make();
    const first = id.currentSession();
    tick(29 * MIN);
    expect(id.currentSession()).toBe(first);
    tick(29 * MIN); // 58 min after the start, but never 30 idle
    expect(id.currentSession()).toBe(first);
  });

  it('starts a new session after 30 minutes idle', () => {
    const { make, tick } = setup();
    const id = make();
    const first = id.currentSession();
    tick(30 * MIN + 1);
    const second = id.currentSession();
    expect(second).not.toBe(first);
    expect(id.currentSession()).toBe(second);
  });

  it('writes the last-activity time at most once a second, and the 30-minute rule still holds', () => {
    const { kv, make, tick } = setup();
    const writes: string[] = [];
    const set = kv.set;
    kv.set = (k, v) => (writes.push(k), set(k, v));
    const id = make();
    const first = id.currentSession();
    for (let i = 0; i < 100; i++) {
      tick(5);
      id.currentSession();
    }
    expect(writes.filter((k) => k == 'pulse:s')).toHaveLength(1);
    tick(600);
    id.currentSession(); // 1.1 s after the last write
    expect(writes.filter((k) => k == 'pulse:s')).toHaveLength(2);
    tick(30 * MIN - 1000);
    expect(id.currentSession()).toBe(first); // idle less than 30 min since the last write
    tick(30 * MIN + 1);
    expect(id.currentSession()).not.toBe(first);
  });

  it('shares visitor, user and session with other tabs through storage', () => {
    const { make } = setup();
    const a = make();
    const b = make();
    a.setUser('u1');
    expect(b.visitor()).toBe(a.visitor());
    expect(b.user()).toBe('u1');
    expect(b.currentSession()).toBe(a.currentSession());
  });

  it('gives a new visitor and session and no user on reset', () => {
    const { make } = setup();
    const id = make();
    id.setUser('u1');
    const [visitor, session] = [id.visitor(), id.currentSession()];
    id.resetIds();
    expect(id.user()).toBeNull();
    expect(id.visitor()).not.toBe(visitor);
    expect(id.currentSession()).not.toBe(session);
  });

  it('stores nothing until allowed, then saves the ids it made', () => {
    let allowed = false;
    const kv = createMapKv();
    let n = 0;
    const id = createIdentity(
      kv,
      () => 0,
      () => `id-${++n}`,
      30 * MIN,
      () => allowed,
    );
    const visitor = id.visitor();
    id.setUser('u1');
    expect(kv.map.size).toBe(0);
    allowed = true;
    id.saveIds();
    expect(kv.get('pulse:v')).toBe(visitor);
    expect(kv.get('pulse:u')).toBe('u1');
  });
});
