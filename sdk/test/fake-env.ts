import type { EventBatch } from '@pulse/contract';
import type { Client } from '../src/core/client';
import { createInstance } from '../src/core/create-instance';
import type { PulseOptions } from '../src/core/options';
import type { Env, Kv, Pulse, PulseEventMap, Reply, Row, Store } from '../src/core/types';

/**
 * A world for the core without a browser: a manual clock with timers, Map-backed storage,
 * a queue store that can hang or fail, and an edge whose answers a test scripts. Several
 * instances built on one world behave like tabs of one site.
 */

/** What the scripted edge does with one request. */
/** `lost`: the edge takes the batch in (a 200), but the answer never reaches the page. */
export type Answer = Reply | 'network' | 'hang' | 'lost';

export interface Request {
  /** The tab that sent it. */
  tab: number;
  url: string;
  batch: EventBatch;
  keepalive: boolean;
  at: number;
}

export const ok = (rejected: unknown[] = []): Reply => ({
  status: 200,
  retryAfter: null,
  body: { accepted: 0, rejected },
});
export const status = (code: number, retryAfter: string | null = null): Reply => ({
  status: code,
  retryAfter,
  body: { error: { code: 'x', message: `failing with ${code}` } },
});

export const settle = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

export interface FakeStore extends Store {
  rows: Map<string, string>;
  /** While set, writes never complete (a page torn down mid-write). */
  hang: boolean;
  /** While set, deletions never complete. */
  hangDeletes: boolean;
  /** While set, every operation throws. */
  broken: boolean;
}

export const createFakeStore = (shared = true): FakeStore => {
  const rows = new Map<string, string>();
  const store: FakeStore = {
    rows,
    hang: false,
    hangDeletes: false,
    broken: false,
    shared,
    all: async () => {
      if (store.broken) throw new Error('store broken');
      return [...rows].sort(([a], [b]) => (a < b ? -1 : 1)) as Row[];
    },
    put: (put) => {
      if (store.broken) throw new Error('store broken');
      if (store.hang) return new Promise(() => {});
      for (const [id, json] of put) rows.set(id, json);
      return Promise.resolve();
    },
    del: (ids) => {
      if (store.broken) throw new Error('store broken');
      if (store.hangDeletes) return new Promise(() => {});
      for (const id of ids) rows.delete(id);
      return Promise.resolve();
    },
    clear: async () => {
      rows.clear();
    },
  };
  return store;
};

export const createMapKv = (): Kv & { map: Map<string, string> } => {
  const map = new Map<string, string>();
  return {
    map,
    get: (k) => map.get(k) ?? null,
    set: (k, v) => void map.set(k, v),
    del: (k) => void map.delete(k),
    keys: () => [...map.keys()],
  };
};

export const createWorld = (start = Date.parse('2026-01-01T00:00:00Z')) => {
  let t = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const requests: Request[] = [];
  const beacons: EventBatch[] = [];
  const answers: Answer[] = [];
  const kv = createMapKv();
  const store = createFakeStore();
  /** Tabs waiting for the sender role, in order; the head holds it. */
  const line: Array<(sender: boolean) => void> = [];
  const holders = new Set<(sender: boolean) => void>();

  const world = {
    kv,
    store,
    requests,
    beacons,
    answers,
    /** Event ids the edge keeps a receipt for (from batches sent with `unload: true`). */
    receipts: new Set<string>(),
    /** The ids each `POST /v1/receipts` asked about. */
    receiptRequests: [] as string[][],
    /** What the edge answers to receipts: a reply, or 'network'. @default 200 with the receipts */
    receiptsAnswer: null as Reply | 'network' | null,
    /** URLs of `GET /v1/decide` calls, in order. */
    decideRequests: [] as string[],
    /** What the edge answers to decide: a reply, or 'network'. @default 200 with no segments */
    decide: null as Reply | 'network' | null,
    /** Random draws of every tab (the jitter of backoff uses it). */
    random: 0.5,
    now: () => t,
    /** Moves the clock, firing due timers in order and letting promises settle. */
    advance: async (ms: number) => {
      const end = t + ms;
      for (;;) {
        await settle();
        const due = [...timers].sort((a, b) => a[1].at - b[1].at)[0];
        if (!due || due[1].at > end) break;
        timers.delete(due[0]);
        t = Math.max(t, due[1].at);
        due[1].fn();
      }
      t = end;
      await settle();
    },
    /** Ids the edge accepted, in order, duplicates included. */
    delivered: () =>
      requests.flatMap((r, i) => (answeredOk.has(i) ? r.batch.events.map((e) => e.event_id) : [])),
    names: () =>
      requests.flatMap((r, i) =>
        answeredOk.has(i) ? r.batch.events.map((e) => e.event_name) : [],
      ),
    /** Storage events: a write by one tab is seen by the others, as in browsers. */
    tabs: new Map<number, (key: string) => void>(),
    /** Tabs whose page is gone: their timers and requests do nothing any more. */
    dead: new Set<number>(),
    /** A tab of this world: an Env sharing the clock, storage, queue and edge. */
    env: (tab: number, overrides: Partial<Env> = {}): Env => ({
      now: () => t,
      rand: () => world.random,
      kv: {
        ...kv,
        set: (k, v) => {
          kv.set(k, v);
          for (const [other, poke] of world.tabs) if (other != tab) queueMicrotask(() => poke(k));
        },
      },
      queueStore: store,
      send: (url, body, keepalive) => {
        if (world.dead.has(tab)) return new Promise(() => {});
        if (url.includes('/v1/decide')) {
          world.decideRequests.push(url);
          if (body !== undefined) throw new Error('decide is a GET');
          const answer = world.decide ?? {
            status: 200,
            retryAfter: null,
            body: { segments: [], actions: [] },
          };
          return answer == 'network'
            ? Promise.reject(new TypeError('Failed to fetch'))
            : Promise.resolve(answer);
        }
        if (url.includes('/v1/receipts')) {
          // Like the edge: which of these ids came in a batch sent at unload and answered 200?
          const ids = (JSON.parse(body!) as { event_ids: string[] }).event_ids;
          world.receiptRequests.push(ids);
          if (world.receiptsAnswer == 'network') {
            return Promise.reject(new TypeError('Failed to fetch'));
          }
          if (world.receiptsAnswer) return Promise.resolve(world.receiptsAnswer);
          return Promise.resolve({
            status: 200,
            retryAfter: null,
            body: { received: ids.filter((id) => world.receipts.has(id)) },
          });
        }
        const i =
          requests.push({
            tab,
            url,
            batch: JSON.parse(body!) as EventBatch,
            keepalive: !!keepalive,
            at: t,
          }) - 1;
        const answer = answers.shift() ?? ok();
        if (answer == 'network') return Promise.reject(new TypeError('Failed to fetch'));
        if (answer == 'hang') return new Promise(() => {});
        const taken = answer == 'lost' ? ok() : answer;
        if (taken.status == 200) {
          answeredOk.add(i);
          const batch = requests[i]!.batch;
          if (batch.unload) for (const e of batch.events) world.receipts.add(e.event_id);
        }
        if (answer == 'lost') return Promise.reject(new TypeError('Failed to fetch'));
        return Promise.resolve(taken);
      },
      beacon: (_url, body) => {
        beacons.push(JSON.parse(body) as EventBatch);
        return true;
      },
      later: (fn, ms) => {
        timers.set(++seq, { at: t + ms, fn: () => world.dead.has(tab) || fn() });
        return seq;
      },
      cancelLater: (h) => void timers.delete(h as number),
      pageContext: () => ({ locale: 'en-GB', page: { url: 'https://site.test/p', path: '/p' } }),
      elect: (_name, onChange) => {
        line.push(onChange);
        if (line.length == 1) {
          holders.add(onChange);
          onChange(true);
        } else onChange(false);
        return () => holders.has(onChange);
      },
      ...overrides,
    }),
    /** The sender tab leaves: the next one in line becomes the sender. */
    handOver: () => {
      const gone = line.shift();
      if (gone) holders.delete(gone);
      const next = line[0];
      if (next) {
        holders.add(next);
        next(true);
      }
    },
  };
  const answeredOk = new Set<number>();
  return world;
};

export type World = ReturnType<typeof createWorld>;

let tabs = 0;

/** A Pulse instance (a tab) in `world`, with its hooks and everything it emitted. */
export const openTab = (world: World, options: Partial<PulseOptions> = {}, env?: Partial<Env>) => {
  const tab = ++tabs;
  const hooks: { client?: Client } = {};
  const pulse: Pulse = createInstance({
    env: () => world.env(tab, env),
    attach: (client) => {
      hooks.client = client;
      world.tabs.set(tab, (key) => world.dead.has(tab) || client.poked(key));
    },
  });
  const seen: { [K in keyof PulseEventMap]: PulseEventMap[K][] } = {
    error: [],
    sent: [],
    rejected: [],
    dropped: [],
    segment: [],
  };
  // Not `segment`: listening to it makes the SDK call decide, which a test asks for itself.
  for (const name of Object.keys(seen) as Array<keyof PulseEventMap>) {
    if (name != 'segment') pulse.on(name, (data) => (seen[name] as unknown[]).push(data));
  }
  pulse.init({ key: 'pk_test', endpoint: 'https://edge.test/', autoPageViews: false, ...options });
  return {
    tab,
    pulse,
    seen,
    client: () => hooks.client!,
    /** The page is gone (closed, navigated): nothing of it runs any more. */
    close: () => {
      world.dead.add(tab);
      world.tabs.delete(tab);
    },
  };
};
