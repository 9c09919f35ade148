/**
 * Receipts of events sent while a page was being left: the page may never read the edge's
 * 200, so the next page asks which ids arrived instead of sending them all again. A receipt
 * is a hint that saves a resend; losing one only costs a duplicate, which is removed
 * downstream by event_id.
 */
export interface ReceiptStore {
  remember(customerId: string, eventIds: string[]): Promise<void>;
  /** The subset of `eventIds` with a receipt. */
  known(customerId: string, eventIds: string[]): Promise<string[]>;
}

/** How long a receipt is kept: the next page load of a visitor usually comes well within it. */
export const RECEIPT_TTL_MS = 60 * 60 * 1000;
