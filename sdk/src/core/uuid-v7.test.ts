import { describe, expect, it } from 'vitest';
import { uuidv7 } from './uuid-v7';

const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const millis = (id: string) => parseInt(id.replace('-', '').slice(0, 12), 16);

describe('uuidv7', () => {
  it('has the version 7 layout and carries the time in its first 48 bits', () => {
    const now = Date.parse('2026-11-25T10:30:00.123Z');
    const id = uuidv7(now, Math.random);
    expect(id).toMatch(FORMAT);
    expect(millis(id)).toBe(now);
  });

  it('sorts in creation order and never repeats, many in one millisecond', () => {
    const now = Date.parse('2026-11-25T10:30:01Z');
    const ids = Array.from({ length: 10_000 }, () => uuidv7(now, Math.random));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(FORMAT);
  });

  it('keeps increasing when the clock steps back', () => {
    const now = Date.parse('2026-11-25T10:30:02Z');
    const a = uuidv7(now, Math.random);
    const b = uuidv7(now - 5000, Math.random);
    const c = uuidv7(now - 4000, Math.random);
    expect([a, b, c].sort()).toEqual([a, b, c]);
    expect(millis(b)).toBe(now);
  });

  it('moves into the next millisecond when the counter runs out', () => {
    const now = Date.parse('2026-11-25T10:30:03Z');
    const high = () => 0.9999; // counter starts at 0x7ff, the top of its random start
    const ids = Array.from({ length: 0x900 }, () => uuidv7(now, high));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(millis(ids.at(-1)!)).toBe(now + 1);
  });
});
