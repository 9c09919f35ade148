import { describe, expect, it } from 'vitest';
import { failureKind } from '../errors/failure-kind';
import { isolatePoison } from './isolate-poison';

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
