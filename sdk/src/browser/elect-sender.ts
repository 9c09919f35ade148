import type { Kv } from '../core/types';

/** Lease fallback: renewed every second, taken over when older than this. */
const LEASE_MS = 3000;

/**
 * Elects the one tab that sends. With Web Locks the sender holds `name` until it leaves
 * (released on pagehide so a page kept in the back/forward cache does not block the others,
 * asked for again when it is shown again); the next tab in line gets it at once. Without Web Locks, a
 * localStorage lease renewed by a heartbeat does the same.
 */
export const electSender =
  (kv: Kv, tab: string) =>
  (name: string, onChange: (sender: boolean) => void): (() => boolean) => {
    // Unset until first assigned (fewer bytes): the flags read as false, and release is set
    // by win() before anything calls it.
    let mine: boolean | undefined;
    let gone: boolean | undefined;
    let release: () => void;
    const locks = navigator.locks;
    const win = () => {
      mine = true;
      onChange(true);
      return new Promise<void>((r) => (release = r));
    };
    const ask = () =>
      locks.request(name, { ifAvailable: true }, (lock) => {
        if (lock) return win();
        onChange(false);
        void locks.request(name, win);
      });
    const beat = () => {
      const [owner, until] = (kv.get(name) || '').split(' ');
      const t = Date.now();
      if (gone) {
        // Left for the back/forward cache: no heartbeat until pageshow.
      } else if (owner == tab || !(+until! > t)) {
        kv.set(name, `${tab} ${t + LEASE_MS}`);
        if (!mine) void win();
      } else {
        mine = false;
        onChange(false);
      }
      setTimeout(beat, 1000);
    };
    // Leaving: give the role up for the tabs in line, but keep acting as the sender for the
    // rest of this page's life, so its page-hide sending still happens (it runs after this).
    addEventListener('pagehide', () => {
      gone = true;
      if (!mine) return;
      if (locks) release();
      else kv.del(name);
    });
    addEventListener('pageshow', (e) => {
      gone = false;
      if (e.persisted && mine) {
        mine = false;
        if (locks) void ask();
      }
    });
    if (locks) void ask();
    else beat();
    return () => !!mine;
  };
