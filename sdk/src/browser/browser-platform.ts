import type { Platform } from '../core/create-instance';
import { createFallbackStore } from '../queue/fallback-store';
import { createIdbStore } from '../queue/idb-store';
import { createLocalStore, createMemoryStore } from '../queue/record-store';
import { sendBeacon } from '../transport/send-beacon';
import { sendFetch } from '../transport/send-fetch';
import { captureClicks } from './click-capture';
import { electSender } from './elect-sender';
import { watchLifecycle } from './lifecycle';
import { createLocalKv } from './local-kv';
import { createPageContext, type PageContext } from './page-context';
import { watchPageViews } from './page-views';

/** The browser: its globals handed to the core, and the listeners that feed it. */
export const createBrowserPlatform = (): Platform => {
  let page: PageContext;
  return {
    env: (s, report) => {
      page = createPageContext();
      const kv = createLocalKv();
      // Random words drawn 64 at a time: one getRandomValues call costs as much as 64 reads.
      const pool = new Uint32Array(64);
      let next = 64;
      const rand = () => {
        if (next > 63) {
          crypto.getRandomValues(pool);
          next = 0;
        }
        return pool[next++]! / 2 ** 32;
      };
      return {
        now: Date.now,
        rand,
        kv,
        queueStore: createFallbackStore(
          [
            () => createIdbStore('pulse:' + s.key),
            () => createLocalStore('pulse:q:' + s.key),
            createMemoryStore,
          ],
          report,
        ),
        send: (url, body, keepalive) => sendFetch(url, body, keepalive, s.timeout),
        beacon: sendBeacon,
        later: (fn, ms) => setTimeout(fn, ms),
        cancelLater: (h) => clearTimeout(h as number),
        pageContext: page.get,
        elect: electSender(kv, rand().toString(36).slice(2)),
      };
    },
    attach: (client, s) => {
      watchLifecycle(client);
      if (s.captureClicks) captureClicks(client.click);
      if (s.autoPageViews != false) watchPageViews(client.page, page.navigated);
    },
  };
};
