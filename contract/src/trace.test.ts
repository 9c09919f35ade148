import { describe, expect, it } from 'vitest';
import { childTraceparent, TRACEPARENT_PATTERN, traceIdOf } from './trace';

const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('traceparent', () => {
  it("continues the client's trace with a new span", () => {
    const child = childTraceparent(parent);
    expect(child).toMatch(TRACEPARENT_PATTERN);
    expect(traceIdOf(child)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(child.slice(36, 52)).not.toBe('00f067aa0ba902b7');
    expect(child.endsWith('-01')).toBe(true);
  });

  it('starts a new trace when there is none, or when what the client sent is not one', () => {
    for (const sent of [
      undefined,
      null,
      '',
      'garbage',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      `${parent}\n`,
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    ]) {
      const child = childTraceparent(sent);
      expect(child, String(sent)).toMatch(TRACEPARENT_PATTERN);
      expect(traceIdOf(child)).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    }
    expect(traceIdOf(childTraceparent(null))).not.toBe(traceIdOf(childTraceparent(null)));
  });
});
