import { describe, expect, it } from 'vitest';
import { liveChannel } from '../src/api/graphql/live-channel';

/** A feed a channel listens to, that says how many listeners it has. */
function feed<T>() {
  const listeners = new Set<(item: T) => void>();
  return {
    listen: (push: (item: T) => void) => {
      listeners.add(push);
      return () => listeners.delete(push);
    },
    push: (item: T) => listeners.forEach((listener) => listener(item)),
    get listeners() {
      return listeners.size;
    },
  };
}

describe('liveChannel', () => {
  it('stops listening as soon as the client leaves, even while waiting for an item', async () => {
    const numbers = feed<number>();
    const channel = liveChannel({
      listen: numbers.listen,
      merge: (a, b) => a + b,
      toMessage: (n) => n,
    });
    expect(numbers.listeners).toBe(1);
    const waiting = channel.next();
    await channel.return!();
    expect(numbers.listeners).toBe(0);
    expect(await waiting).toEqual({ done: true, value: undefined });
  });

  it('merges what arrives while the client is busy into one message, in order', async () => {
    const ids = feed<string[]>();
    const channel = liveChannel({
      listen: ids.listen,
      merge: (a, b) => [...a, ...b],
      split: (items) => (items.length > 2 ? [items.slice(0, 2), items.slice(2)] : [items, null]),
      toMessage: (items) => items.join(','),
    });
    ids.push(['a']);
    ids.push(['b', 'c']);
    ids.push(['d']);
    expect(await channel.next()).toEqual({ done: false, value: 'a,b' });
    expect(await channel.next()).toEqual({ done: false, value: 'c,d' });
    ids.push(['e']);
    expect(await channel.next()).toEqual({ done: false, value: 'e' });
  });

  it('ends with an error when a client falls too far behind, and stops listening', async () => {
    const numbers = feed<number[]>();
    const channel = liveChannel({
      listen: numbers.listen,
      merge: (a, b) => [...a, ...b],
      size: (items) => items.length,
      maxSize: 3,
      toMessage: (items) => items.length,
    });
    numbers.push([1, 2]);
    numbers.push([3, 4]);
    await expect(channel.next()).rejects.toMatchObject({
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    expect(numbers.listeners).toBe(0);
    expect(await channel.next()).toEqual({ done: true, value: undefined });
  });
});
