import type { Kv } from '../core/session';

const LEASE_MS = 20_000;

/**
 * Runs `fn` while no other tab of the origin holds the sender lock: Web Locks where the browser
 * has them, else a localStorage lease (best effort, expiring, so a closed tab cannot block).
 */
export const createSenderLock =
  (name: string, kv: Kv) =>
  async (fn: () => Promise<void>): Promise<void> => {
    if (navigator.locks) return navigator.locks.request(name, fn);
    const me = Math.random().toString(36);
    for (let i = 0; i < 50; i++) {
      const [owner, until] = (kv.get(name) || '').split('|');
      if (!owner || Number(until) < Date.now()) {
        kv.set(name, `${me}|${Date.now() + LEASE_MS}`);
        if (kv.get(name)?.startsWith(me)) {
          try {
            return await fn();
          } finally {
            kv.del(name);
          }
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return fn(); // the holder is stuck or gone: sending late beats never sending
  };
