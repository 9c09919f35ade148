import { describe, expect, it } from 'vitest';
import type { DecideResponse } from '@pulse/contract';
import { KEYS, nativeEvent } from '../../test/support/fixtures';
import { createTestEdge } from '../../test/support/test-app';
import type { DecideBackend } from './decide-backend';
import { cachedDecide, withDecideCache } from './decide-cache';

/**
 * The backend's decide as the cache sees it: answers with its segments at the moment it is
 * asked (the test changes them, as processing would), counts the calls, and can be held so a
 * call stays in flight.
 */
function backendOf() {
  const calls: string[] = [];
  let segments = ['before'];
  let failing = false;
  let held: Array<() => void> = [];
  let holding = false;
  const backend: DecideBackend = {
    async decide(customerId, visitorId, provenUserId) {
      calls.push([customerId, visitorId, provenUserId ?? '-'].join('/'));
      const now = [...segments];
      if (holding) await new Promise<void>((resolve) => held.push(resolve));
      if (failing) throw new Error('backend down');
      return { visitor_id: visitorId, id: provenUserId ?? visitorId, segments: now, actions: [] };
    },
  };
  return {
    backend,
    calls,
    set: (next: string[]) => (segments = next),
    fail: (on: boolean) => (failing = on),
    hold: () => (holding = true),
    release: () => {
      holding = false;
      held.forEach((resolve) => resolve());
      held = [];
    },
  };
}

const segmentsOf = async (answer: Promise<DecideResponse>) => (await answer).segments;

describe('decide answered from the edge’s memory', () => {
  it('serves an answer younger than the bound without asking, and asks again at the bound', async () => {
    const b = backendOf();
    const clock = { now: 1_000 };
    const decide = cachedDecide(b.backend, { maxAgeMs: 500, now: () => clock.now });
    expect(await segmentsOf(decide.decide('c1', 'v1'))).toEqual(['before']);
    b.set(['after']);
    clock.now += 499;
    expect(await segmentsOf(decide.decide('c1', 'v1'))).toEqual(['before']);
    expect(b.calls).toHaveLength(1);
    clock.now += 1; // 500 ms after the backend was asked: the bound
    expect(await segmentsOf(decide.decide('c1', 'v1'))).toEqual(['after']);
    expect(b.calls).toHaveLength(2);
  });

  it('keeps customers, visitors and proven users apart', async () => {
    const b = backendOf();
    const decide = cachedDecide(b.backend, { maxAgeMs: 10_000, now: () => 0 });
    const asked = [
      ['c1', 'v1'],
      ['c2', 'v1'],
      ['c1', 'v2'],
      ['c1', 'v1', 'u1'],
      ['c1', 'v1', 'u2'],
      // Parts that would run together if joined with a separator.
      ['c1', 'v1/u1'],
    ] as const;
    for (const [customer, visitor, user] of [...asked, ...asked]) {
      const answer = await decide.decide(customer, visitor, user);
      expect(answer.id).toBe(user ?? visitor);
    }
    expect(b.calls).toHaveLength(asked.length);
  });

  it('asks the backend once for questions about one visitor that arrive together', async () => {
    const b = backendOf();
    const decide = cachedDecide(b.backend, { maxAgeMs: 1_000, now: () => 0 });
    b.hold();
    const answers = Array.from({ length: 8 }, () => decide.decide('c1', 'v1'));
    b.release();
    expect(await Promise.all(answers.map(segmentsOf))).toEqual(Array(8).fill(['before']));
    expect(b.calls).toHaveLength(1);
  });

  it('keeps no failure: the next question asks again', async () => {
    const b = backendOf();
    const decide = cachedDecide(b.backend, { maxAgeMs: 1_000, now: () => 0 });
    b.fail(true);
    await expect(decide.decide('c1', 'v1')).rejects.toThrow('backend down');
    b.fail(false);
    expect(await segmentsOf(decide.decide('c1', 'v1'))).toEqual(['before']);
    expect(b.calls).toHaveLength(2);
  });

  it('forgets a visitor that acted, and keeps no answer asked for before it acted', async () => {
    const b = backendOf();
    const clock = { now: 0 };
    const decide = cachedDecide(b.backend, { maxAgeMs: 60_000, now: () => clock.now });
    await decide.decide('c1', 'v1');
    await decide.decide('c1', 'v1', 'u1');
    await decide.decide('c1', 'v2');
    b.set(['after']);
    clock.now = 10;
    decide.visitorsActed!('c1', ['v1']);
    expect(await segmentsOf(decide.decide('c1', 'v1'))).toEqual(['after']);
    expect(await segmentsOf(decide.decide('c1', 'v1', 'u1'))).toEqual(['after']);
    expect(await segmentsOf(decide.decide('c1', 'v2'))).toEqual(['before']); // did not act
    expect(b.calls).toHaveLength(5);

    // A question in flight when the visitor acts: its answer may not know the events, so it is
    // not kept, and a question after the events does not wait for it.
    clock.now = 20;
    b.set(['old']);
    b.hold();
    const inFlight = decide.decide('c1', 'v3');
    clock.now = 30;
    decide.visitorsActed!('c1', ['v3']);
    b.set(['new']);
    clock.now = 31; // (an answer asked in the very millisecond of the events is not kept)
    const afterActing = decide.decide('c1', 'v3');
    b.release();
    expect(await segmentsOf(inFlight)).toEqual(['old']);
    expect(await segmentsOf(afterActing)).toEqual(['new']);
    clock.now = 40;
    expect(await segmentsOf(decide.decide('c1', 'v3'))).toEqual(['new']);
    expect(b.calls).toHaveLength(7);
  });

  it('keeps at most maxVisitors visitors, the least recently asked leaving first', async () => {
    const b = backendOf();
    const decide = cachedDecide(b.backend, { maxAgeMs: 60_000, maxVisitors: 2, now: () => 0 });
    await decide.decide('c1', 'v1');
    await decide.decide('c1', 'v2');
    await decide.decide('c1', 'v1'); // v1 is now the most recent
    await decide.decide('c1', 'v3'); // v2 leaves
    expect(b.calls).toHaveLength(3);
    await decide.decide('c1', 'v1');
    await decide.decide('c1', 'v3');
    expect(b.calls).toHaveLength(3);
    await decide.decide('c1', 'v2');
    expect(b.calls).toHaveLength(4);
  });

  it('is no cache at 0 ms', async () => {
    const b = backendOf();
    expect(withDecideCache(b.backend, 0)).toBe(b.backend);
  });

  it('through the edge: a visitor’s accepted batch makes its next decide ask the backend', async () => {
    const b = backendOf();
    const edge = createTestEdge({
      deps: { decide: cachedDecide(b.backend, { maxAgeMs: 60_000 }) },
    });
    const ask = async (visitor: string) => {
      const res = await edge.app.request(`/v1/decide?key=${KEYS.open}&visitor_id=${visitor}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as DecideResponse).segments;
    };
    expect(await ask('v1')).toEqual(['before']);
    expect(await ask('v2')).toEqual(['before']);
    b.set(['pricing_fans']);
    expect(await ask('v1')).toEqual(['before']); // within the bound, from memory
    const sent = await edge.post(`/v1/events?key=${KEYS.open}`, {
      events: [nativeEvent({ visitor_id: 'v1' })],
    });
    expect(sent.status).toBe(200);
    expect(await ask('v1')).toEqual(['pricing_fans']);
    expect(await ask('v2')).toEqual(['before']);
    // A batch refused as a whole (no valid event) is not the visitor acting.
    const refused = await edge.post(`/v1/events?key=${KEYS.open}`, {
      events: [nativeEvent({ visitor_id: 'v2', event_type: 'nope' })],
    });
    expect(refused.status).toBe(200);
    expect(await ask('v2')).toEqual(['before']);
    expect(b.calls).toEqual(['cust_open/v1/-', 'cust_open/v2/-', 'cust_open/v1/-']);
  });
});
