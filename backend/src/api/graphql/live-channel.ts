import { graphqlError } from './graphql-errors';

export interface LiveChannelOptions<T, R> {
  /**
   * Starts listening: `push` hands in an item; returns the function that stops listening.
   * Called once, when the channel is made.
   */
  listen: (push: (item: T) => void) => () => void;
  /** Folds an item into the one still waiting, so a slow client gets one message, not many. */
  merge: (waiting: T, next: T) => T;
  /** The message sent for an item (a warehouse read, for counts). */
  toMessage: (item: T) => Promise<R> | R;
  /** Splits an item into what one message carries and the rest (which waits for the next). */
  split?: (item: T) => [T, T | null];
  /** Size of an item; past `maxSize` the client has fallen too far behind and the channel ends. */
  size?: (item: T) => number;
  maxSize?: number;
  /** Called once when the channel ends (the client left, fell behind, or it failed). */
  onFinish?: () => void;
}

/**
 * The async iterator a GraphQL subscription returns, fed by a listener. Written by hand rather
 * than as an async generator: a generator waiting for the next batch cannot be stopped until
 * one comes, so a client that leaves a quiet stream would keep its listener forever; here
 * `return()` stops listening at once. At most one item waits (merged), so memory stays bounded.
 */
export function liveChannel<T, R>(options: LiveChannelOptions<T, R>): AsyncIterableIterator<R> {
  const size = options.size ?? (() => 1);
  const maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
  let waiting: { item: T } | null = null;
  let wake: (() => void) | null = null;
  let done = false;
  let overflow = false;

  const stopListening = options.listen((item) => {
    if (done) return;
    waiting = waiting ? { item: options.merge(waiting.item, item) } : { item };
    if (size(waiting.item) > maxSize) overflow = true;
    wake?.();
  });
  const finish = (): IteratorResult<R> => {
    if (!done) {
      done = true;
      stopListening();
      options.onFinish?.();
      wake?.();
    }
    return { done: true, value: undefined };
  };

  const iterator: AsyncIterableIterator<R> = {
    async next() {
      while (!done && !waiting) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      if (done || !waiting) return finish();
      if (overflow) {
        finish();
        throw graphqlError(
          'unavailable',
          'the subscription fell too far behind and was closed; subscribe again',
        );
      }
      const [item, rest] = options.split ? options.split(waiting.item) : [waiting.item, null];
      waiting = rest === null ? null : { item: rest };
      const value = await options.toMessage(item);
      return done ? finish() : { done: false, value };
    },
    async return() {
      return finish();
    },
    async throw(error: unknown) {
      finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
