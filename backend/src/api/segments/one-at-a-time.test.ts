import { describe, expect, it } from 'vitest';
import { oneAtATime } from './one-at-a-time';

/** A promise and the function that settles it, so a test decides when a task ends. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('oneAtATime', () => {
  it('starts a task of a key only after the one before it settled, failed or not', async () => {
    const serially = oneAtATime();
    const log: string[] = [];
    const first = gate();
    const a = serially('cust_a', async () => {
      log.push('a1 start');
      await first.opened;
      log.push('a1 end');
      throw new Error('a1 failed');
    });
    const b = serially('cust_a', async () => {
      log.push('a2 start');
      return 'a2';
    });
    const other = serially('cust_b', async () => {
      log.push('b1 start');
      return 'b1';
    });
    await expect(other).resolves.toBe('b1');
    // cust_b ran while cust_a's first task was still open; cust_a's second waited.
    expect(log).toEqual(['a1 start', 'b1 start']);
    first.open();
    await expect(a).rejects.toThrow('a1 failed');
    await expect(b).resolves.toBe('a2');
    expect(log).toEqual(['a1 start', 'b1 start', 'a1 end', 'a2 start']);
  });
});
