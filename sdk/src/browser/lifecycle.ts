import type { Client } from '../core/client';

/**
 * Page lifecycle → delivery: hidden or leaving (visibilitychange, pagehide) journals
 * and sends what is unsent; beforeunload sends at once, so the answer may still arrive before
 * the page goes; online retries at once; a storage event from another tab pokes the sender.
 */
export const watchLifecycle = (client: Client): void => {
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) client.pageHidden();
  });
  addEventListener('pagehide', client.pageHidden);
  addEventListener('beforeunload', client.leave);
  // The Navigation API announces a link click before the new page is even requested.
  (window as { navigation?: EventTarget }).navigation?.addEventListener('navigate', (e) => {
    if (!(e as Event & { destination: { sameDocument: boolean } }).destination.sameDocument)
      client.leave();
  });
  addEventListener('online', client.online);
  addEventListener('storage', (e) => {
    if (e.key) client.poked(e.key);
  });
};
