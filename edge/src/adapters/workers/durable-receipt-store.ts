import { RECEIPT_TTL_MS, type ReceiptStore } from '../../receipts/receipt-store';
import type { ReceiptsObject } from './receipts-object';

/** Receipts on Workers: the customer's {@link ReceiptsObject}. */
export function createDurableReceiptStore(
  namespace: DurableObjectNamespace<ReceiptsObject>,
): ReceiptStore {
  const of = (customerId: string) => namespace.get(namespace.idFromName(customerId));
  return {
    async remember(customerId, eventIds) {
      await of(customerId).remember(eventIds, Date.now() + RECEIPT_TTL_MS);
    },
    async known(customerId, eventIds) {
      return of(customerId).known(eventIds);
    },
  };
}
