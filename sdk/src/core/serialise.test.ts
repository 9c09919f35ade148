import { describe, expect, it } from 'vitest';
import { serialise } from './serialise';
import type { PulseErrorCode } from './types';

const collect = () => {
  const reports: Array<[PulseErrorCode, string]> = [];
  return {
    reports,
    report: (code: PulseErrorCode, message: string) => void reports.push([code, message]),
  };
};

describe('serialise', () => {
  it('gives plain JSON for plain values, without a report', () => {
    const { reports, report } = collect();
    expect(serialise({ a: 1, b: ['x'], c: null }, report)).toBe('{"a":1,"b":["x"],"c":null}');
    expect(reports).toEqual([]);
  });

  it('replaces a cycle with "[Circular]" and reports it instead of throwing', () => {
    const { reports, report } = collect();
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    a.child = { up: a };
    expect(JSON.parse(serialise({ props: a }, report)!)).toEqual({
      props: { name: 'a', self: '[Circular]', child: { up: '[Circular]' } },
    });
    expect(reports.map(([code]) => code)).toEqual(['invalid_properties']);
  });

  it('keeps an object referenced twice (not a cycle) in both places', () => {
    const { report } = collect();
    const shared = { v: 1 };
    const cyclic: Record<string, unknown> = { one: shared, two: shared };
    cyclic.me = cyclic;
    expect(JSON.parse(serialise(cyclic, report)!)).toEqual({
      one: { v: 1 },
      two: { v: 1 },
      me: '[Circular]',
    });
  });

  it('writes BigInt as a string', () => {
    const { reports, report } = collect();
    expect(serialise({ big: 10n ** 20n }, report)).toBe('{"big":"100000000000000000000"}');
    expect(reports).toHaveLength(1);
  });

  it('gives undefined with a report when a getter throws', () => {
    const { reports, report } = collect();
    const hostile = {
      get boom() {
        throw new Error('no');
      },
    };
    expect(serialise(hostile, report)).toBeUndefined();
    expect(reports.at(-1)?.[1]).toMatch(/not serialisable/);
  });
});
