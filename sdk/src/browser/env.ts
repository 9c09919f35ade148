import { createClient, type ClientEnv } from '../core/client';
import { createDelivery } from '../core/delivery';
import { createKv } from '../core/session';
import { createIdbStore } from '../queue/idb-store';
import { createLocalStore, createMemoryStore } from '../queue/local-store';
import type { Store } from '../queue/store';
import { sendBatch } from '../transport/send';
import { watchClicks } from './clicks';
import { pageContext } from './context';
import { createSenderLock } from './lock';
import { watchPageViews } from './page-views';

const storage = (): Storage | undefined => {
  try {
    return localStorage;
  } catch {
    return undefined;
  }
};

/** The browser's globals, handed to the core client. */
export const browserEnv = (emit: (name: string, payload: unknown) => void): ClientEnv => {
  const ls = storage();
  const kv = createKv(ls);
  return {
    kv,
    context: pageContext,
    delivery(o) {
      const url = `${o.endpoint.replace(/\/$/, '')}/v1/events?key=${encodeURIComponent(o.key)}`;
      const all: Array<() => Store> = [
        () => createIdbStore(o.key),
        () => createLocalStore(ls!, o.key),
        createMemoryStore,
      ];
      const stores = all.slice({ indexeddb: 0, localstorage: 1, memory: 2 }[o.storage] ?? 0);
      const channel =
        typeof BroadcastChannel == 'function' ? new BroadcastChannel(`pulse:${o.key}`) : undefined;
      const delivery = createDelivery(o, {
        stores,
        kv,
        send: (body, keepalive) => sendBatch(url, body, keepalive, o.timeout),
        beacon: (body) => navigator.sendBeacon?.(url, body) ?? false,
        lock: createSenderLock(`pulse:${o.key}`, kv),
        announce: (ids) => channel?.postMessage(ids),
        emit,
        now: Date.now,
      });
      if (channel) channel.onmessage = (m: MessageEvent<string[]>) => delivery.acked(m.data);
      addEventListener('online', delivery.resume);
      addEventListener(
        'visibilitychange',
        () => document.visibilityState == 'hidden' && delivery.hide(false),
      );
      addEventListener('pagehide', () => delivery.hide(true));
      // A navigation away starts before pagehide: sending now gives the edge's answer a chance
      // to arrive while the page still runs, so fewer events are resent on the next load.
      (window as { navigation?: EventTarget }).navigation?.addEventListener('navigate', () =>
        delivery.hide(true),
      );
      return delivery;
    },
    start(c, o) {
      if (o.autoPageViews) watchPageViews(() => c.page());
      if (o.captureClicks) watchClicks((name, props) => c.event('click', name, props));
    },
  };
};

/** The SDK bound to this page's globals. */
export const createBrowserClient = () => {
  const client = createClient(browserEnv((name, payload) => client.emit(name, payload)));
  return client;
};
