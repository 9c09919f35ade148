import { describe, expect, it } from 'vitest';
import { failureKind } from '../errors/failure-kind';
import { groupCommitIsolating, isolatePoison } from './isolate-poison';

/** A process that fails on any batch holding a poison number, as a store would on a bad row. */
function processor(poison: Set<number>, failure: () => Error = () => new TypeError('bad row')) {
  const stored: number[] = [];
  let calls = 0;
  const process = async (items: number[]) => {
    calls++;
    if (items.some((item) => poison.has(item))) throw failure();
    stored.push(...items);
  };
  return { process, stored, calls: () => calls };
}

describe('isolatePoison', () => {
  it('processes a healthy batch once and quarantines nothing', async () => {
    const p = processor(new Set());
    expect(await isolatePoison([1, 2, 3], p.process, { retryDelayMs: 0 })).toEqual([]);
    expect(p.stored).toEqual([1, 2, 3]);
    expect(p.calls()).toBe(1);
  });

  it('finds each poison record alone and processes every other record, in order', async () => {
    const p = processor(new Set([3, 17]));
    const items = Array.from({ length: 20 }, (_, i) => i);
    const poison = await isolatePoison(items, p.process, { retryDelayMs: 0 });
    expect(poison.map((x) => x.item)).toEqual([3, 17]);
    expect(poison[0]?.error).toBeInstanceOf(TypeError);
    expect(p.stored).toEqual(items.filter((i) => i !== 3 && i !== 17));
  });

  it('retries a transient failure instead of quarantining anything', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
      code: 'ECONNREFUSED',
    });
    const p = processor(new Set([1]), () => down);
    await expect(isolatePoison([1, 2], p.process, { retryDelayMs: 0 })).rejects.toBe(down);
    expect(p.stored).toEqual([]);
  });
});

describe('groupCommitIsolating', () => {
  it('flushes concurrent callers together, and finds a caller’s poison among its own items only', async () => {
    const flushes: number[][] = [];
    const p = processor(new Set([13]));
    const submit = groupCommitIsolating<number>(
      async (items) => {
        flushes.push([...items]);
        await p.process(items);
      },
      { retryDelayMs: 0 },
    );
    // Handed in while no flush has started: one flush carries both.
    const [first, second] = await Promise.all([submit([11, 12, 13]), submit([21, 22])]);
    expect(flushes[0]).toEqual([11, 12, 13, 21, 22]);
    expect(first.map((x) => x.item)).toEqual([13]);
    expect(second).toEqual([]);
    // After the shared flush failed, each caller flushed its own items alone: the second
    // caller's never again beside the first caller's poison.
    expect(flushes.slice(1).some((f) => f.includes(13) && f.includes(21))).toBe(false);
    expect([...p.stored].sort()).toEqual([11, 12, 21, 22]);
  });

  it('rejects with a transient failure and quarantines nothing', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
      code: 'ECONNREFUSED',
    });
    const p = processor(new Set([1]), () => down);
    const submit = groupCommitIsolating<number>(p.process, { retryDelayMs: 0 });
    await expect(submit([1, 2])).rejects.toBe(down);
  });
});

describe('failureKind', () => {
  it('tells outages from bad records, looking through wrapped causes', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(failureKind(new Error('could not write a batch', { cause: refused }))).toBe('transient');
    expect(failureKind(new Error('Connection is closed.'))).toBe('transient');
    expect(
      failureKind(Object.assign(new Error('LOADING Redis is loading'), { name: 'ReplyError' })),
    ).toBe('transient');
    expect(
      failureKind(Object.assign(new Error('Code: 241. Memory limit'), { clickhouseCode: 241 })),
    ).toBe('transient');
    const tooMany = Object.assign(new Error('Code: 252. Too many partitions'), {
      clickhouseCode: 252,
    });
    expect(failureKind(new Error('could not write a batch', { cause: tooMany }))).toBe(
      'deterministic',
    );
    expect(
      failureKind(
        Object.assign(new Error('WRONGTYPE Operation against a key'), { name: 'ReplyError' }),
      ),
    ).toBe('deterministic');
    expect(failureKind(new RangeError('Maximum call stack size exceeded'))).toBe('deterministic');
  });
});
