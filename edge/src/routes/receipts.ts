import type { Handler } from 'hono';
import type { ReceiptsResponse } from '@pulse/contract';
import { describeIssues, receiptsRequestSchema } from '@pulse/contract/schema';
import type { EdgeEnv } from '../deps';
import { EdgeError } from '../errors/edge-error';
import type { ReceiptStore } from '../receipts/receipt-store';

/**
 * `POST /v1/receipts`: `{ "event_ids": [ … ] }` → 200 `{ "received": [ … ] }`, the ids of
 * events the edge made durable from batches sent at unload (`"unload": true`). The SDK asks
 * before resending what a page left unacknowledged. Without a receipt store nothing is known
 * and the client simply resends.
 *
 * @example
 * POST /v1/receipts?key=pk_live_…
 * {"event_ids":["0193…","0194…"]} → 200 {"received":["0193…"]}
 */
export function receipts(store: ReceiptStore | undefined): Handler<EdgeEnv> {
  return async (c) => {
    const parsed = receiptsRequestSchema.safeParse(c.get('body'));
    if (!parsed.success) throw new EdgeError('invalid_batch', describeIssues(parsed.error));
    const customerId = c.get('keyConfig').customer_id;
    let received: string[] = [];
    try {
      received = store ? await store.known(customerId, parsed.data.event_ids) : [];
    } catch (error) {
      // A receipt is only a hint: without it the client resends, which is safe.
      c.get('log').error({ customer: customerId, err: error }, 'edge: receipts lookup failed');
    }
    return c.json({ received } satisfies ReceiptsResponse, 200);
  };
}
