import { backoffDelay } from './backoff';
import { batchBody, takeBatch, type Entry } from './batch';
import type { Kv } from './session';
import type { Store } from '../queue/store';
import type { Outcome } from '../transport/send';
import { utf8Bytes } from './safe-json';

/** Delivery settings; see PulseOptions for their meaning and defaults. */
export interface DeliveryOptions {
  key: string;
  flushInterval: number;
  maxBatchEvents: number;
  maxBatchBytes: number;
  maxQueueEvents: number;
  maxQueueBytes: number;
  retryBase: number;
  retryCap: number;
}

/** What delivery is handed: the browser glue provides it, tests provide fakes. */
export interface DeliveryEnv {
  /** Store factories in fallback order; the last must not fail (memory). */
  stores: Array<() => Store>;
  kv: Kv;
  send(body: string, keepalive: boolean): Promise<Outcome>;
  /** Fire-and-forget send for a page being torn down; false if the browser refused it. */
  beacon(body: string): boolean;
  /** Runs `fn` while no other tab of the origin sends (Web Locks or a fallback). */
  lock(fn: () => Promise<void>): Promise<void>;
  /** Tells other tabs which ids the edge acknowledged. */
  announce(ids: string[]): void;
  emit(name: string, payload: unknown): void;
  now(): number;
}

const KEEPALIVE_BUDGET = 60_000; // below the browser's 64 KB for all in-flight keepalive bodies

/**
 * The durable queue and its sender. Invariant: an event leaves the store only after the edge's
 * 200 for its batch (or a refusal that can never succeed, which is reported).
 */
export const createDelivery = (o: DeliveryOptions, env: DeliveryEnv) => {
  const { kv, emit } = env;
  const droppedKey = `pulse:d:${o.key}`;
  const journalPrefix = `pulse:j:${o.key}:`;
  const journalKey = journalPrefix + Math.random().toString(36).slice(2); // one journal per tab
  let storeAt = -1;
  let store: Store;
  const unsaved: Entry[] = [];
  const mine = new Map<string, string>(); // this tab's events not yet acknowledged
  const flying = new Set<string>();
  let attempt = 0;
  let retryAt = 0;
  let splitMax = 0;
  let timer: ReturnType<typeof setTimeout> | 0 = 0;
  let stopped = false;
  let chain = Promise.resolve();

  const nextStore = (err?: unknown): void => {
    if (err) emit('error', err);
    while (++storeAt < env.stores.length) {
      try {
        store = env.stores[storeAt]!();
        return;
      } catch (e) {
        emit('error', e);
      }
    }
  };
  nextStore();

  const addDropped = (n: number) => {
    kv.set(droppedKey, String((Number(kv.get(droppedKey)) || 0) + n));
    emit('dropped', n);
  };

  const persist = async (): Promise<void> => {
    while (unsaved.length) {
      const list = unsaved.slice();
      try {
        await store.put(list);
        unsaved.splice(0, list.length);
        if (!unsaved.length) kv.del(journalKey); // all of it is in the store now
      } catch (e) {
        if (storeAt >= env.stores.length - 1) return;
        nextStore(e);
      }
    }
  };

  const remove = async (ids: string[]): Promise<void> => {
    await store.del(ids);
    for (const id of ids) mine.delete(id);
    env.announce(ids);
  };

  /** Oldest events beyond the queue's bounds are dropped, counted and reported. */
  const bound = async (all: Entry[]): Promise<Entry[]> => {
    let bytes = 0;
    let keep = all.length;
    while (
      keep > 0 &&
      (bytes += utf8Bytes(all[keep - 1]![1])) <= o.maxQueueBytes &&
      all.length - keep < o.maxQueueEvents
    )
      keep--;
    const cut = keep && all.slice(0, keep);
    if (!cut) return all;
    await remove(cut.map((e) => e[0]));
    addDropped(cut.length);
    return all.slice(keep);
  };

  const schedule = (ms: number): void => {
    if (timer || stopped) return;
    timer = setTimeout(
      () => {
        timer = 0;
        void flush();
      },
      Math.max(ms, retryAt - env.now()),
    );
  };

  const handle = async (out: Outcome, batch: Entry[], dropped: number): Promise<boolean> => {
    const ids = batch.map((e) => e[0]);
    if (out.k === 'ok') {
      attempt = splitMax = 0;
      await remove(ids);
      if (dropped) kv.set(droppedKey, String((Number(kv.get(droppedKey)) || 0) - dropped));
      emit('sent', ids);
      for (const r of out.rejected) {
        console.warn('pulse: event rejected', r);
        emit('rejected', r);
      }
      return true;
    }
    if (out.k === 'split' && batch.length > 1) {
      splitMax = Math.ceil(batch.length / 2);
      return true;
    }
    if (out.k === 'stop') {
      stopped = true;
      emit('error', new Error(`pulse: key refused (${out.status}); events kept for the next page`));
      return false;
    }
    if (out.k !== 'retry') {
      await remove(ids);
      emit('error', new Error(`pulse: ${ids.length} event(s) refused with ${out.status}`));
      return true;
    }
    retryAt = env.now() + (out.after ?? backoffDelay(attempt++, o.retryBase, o.retryCap));
    schedule(0);
    return false;
  };

  const run = async (keepalive: boolean): Promise<void> => {
    await persist();
    if (stopped || env.now() < retryAt) return schedule(0);
    const send = async (): Promise<void> => {
      for (;;) {
        let all: Entry[];
        try {
          all = await bound(await store.all());
        } catch (e) {
          if (storeAt >= env.stores.length - 1) return;
          unsaved.push(...mine);
          nextStore(e);
          await persist();
          continue;
        }
        const pending = all.filter((e) => !flying.has(e[0]));
        if (!pending.length) return;
        const batch = takeBatch(pending, splitMax || o.maxBatchEvents, o.maxBatchBytes);
        const dropped = Number(kv.get(droppedKey)) || 0;
        const body = batchBody(batch, new Date(env.now()).toISOString(), dropped);
        for (const e of batch) flying.add(e[0]);
        const out = await env.send(body, keepalive);
        for (const e of batch) flying.delete(e[0]);
        if (!(await handle(out, batch, dropped))) return;
      }
    };
    // A store of this tab alone needs no lock; a shared one is sent from by one tab at a time.
    await (store.shared ? env.lock(send) : send());
  };

  /** Sends everything queued; resolves when the edge has answered (or a retry is scheduled). */
  const flush = (keepalive = false): Promise<void> =>
    (chain = chain.then(() => run(keepalive)).catch((e: unknown) => emit('error', e)));

  return {
    /** Queues one serialised event; it is durable once `persist` has run. */
    enqueue(entry: Entry): void {
      unsaved.push(entry);
      mine.set(entry[0], entry[1]);
      if (unsaved.length >= o.maxBatchEvents) {
        clearTimeout(timer);
        timer = 0;
      }
      schedule(unsaved.length >= o.maxBatchEvents ? 0 : o.flushInterval);
    },
    flush,
    /** Back online (or told to hurry): retry now instead of waiting out the backoff. */
    resume(): void {
      retryAt = attempt = 0;
      clearTimeout(timer);
      timer = 0;
      schedule(0);
    },
    /** Another tab had these acknowledged. */
    acked(ids: string[]): void {
      for (const id of ids) mine.delete(id);
    },
    /** Merges what an earlier page journaled at unload back into the queue. */
    recover(): void {
      for (const k of kv.keys(journalPrefix)) {
        try {
          for (const e of JSON.parse(kv.get(k) || '[]') as Entry[]) unsaved.push(e);
        } catch {
          // an unreadable journal has nothing to give back
        }
        kv.del(k);
      }
      schedule(0);
    },
    /**
     * The page is being hidden (`final`: torn down). Synchronously journals what is not yet
     * in the store, then sends this tab's unacknowledged events with keepalive fetch within
     * the 64 KB budget, the rest by sendBeacon. They stay queued until acknowledged.
     */
    hide(final: boolean): void {
      if (unsaved.length) kv.set(journalKey, JSON.stringify(unsaved));
      if (!final || stopped) return void flush(true);
      let rest = [...mine].filter((e) => !flying.has(e[0])).sort() as Entry[];
      let budget = KEEPALIVE_BUDGET;
      while (rest.length) {
        const batch = takeBatch(rest, o.maxBatchEvents, o.maxBatchBytes);
        rest = rest.slice(batch.length);
        const body = batchBody(batch, new Date(env.now()).toISOString(), 0);
        const size = utf8Bytes(body);
        for (const e of batch) flying.add(e[0]);
        if (size <= budget) {
          budget -= size;
          void env.send(body, true).then((out) => {
            for (const e of batch) flying.delete(e[0]);
            if (out.k == 'ok') return remove(batch.map((e) => e[0]));
          });
        } else env.beacon(body);
      }
    },
    /** Consent withdrawn: forget everything queued. */
    async clear(): Promise<void> {
      unsaved.length = 0;
      mine.clear();
      kv.del(journalKey);
      kv.del(droppedKey);
      await store.clear();
    },
  };
};

export type Delivery = ReturnType<typeof createDelivery>;
