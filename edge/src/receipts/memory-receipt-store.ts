import { RECEIPT_TTL_MS, type ReceiptStore } from './receipt-store';

export interface MemoryReceiptStoreOptions {
  /** @default one hour */
  ttlMs?: number;
  /** Receipts kept at most; the oldest go first. @default 200000 */
  max?: number;
  now?: () => number;
}

/** Receipts in this process (the Node edge): bounded, expiring, oldest evicted first. */
export function createMemoryReceiptStore(options: MemoryReceiptStoreOptions = {}): ReceiptStore {
  const { ttlMs = RECEIPT_TTL_MS, max = 200_000, now = Date.now } = options;
  const expiries = new Map<string, number>(); // insertion order = age
  const key = (customerId: string, id: string) => `${customerId}\u0000${id}`;
  return {
    async remember(customerId, eventIds) {
      const until = now() + ttlMs;
      for (const id of eventIds) {
        const k = key(customerId, id);
        expiries.delete(k);
        expiries.set(k, until);
      }
      for (const [k, at] of expiries) {
        if (expiries.size <= max && at > now()) break;
        expiries.delete(k);
      }
    },
    async known(customerId, eventIds) {
      const t = now();
      return eventIds.filter((id) => (expiries.get(key(customerId, id)) ?? 0) > t);
    },
  };
}
