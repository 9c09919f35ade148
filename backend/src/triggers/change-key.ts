import { createHash } from 'node:crypto';
import type { SegmentChange } from '@pulse/contract';

/**
 * The idempotency key of a segment change: the same for every copy of it (a replayed batch
 * publishes the same change again), different for every other change. It is what the
 * warehouse dedups changes on (customer, segment, profile, enter/exit, event time), hashed so
 * any profile id fits in an HTTP header.
 */
export function changeKey(change: SegmentChange): string {
  const parts = [change.customer_id, change.segment_id, change.id, change.change, change.at];
  return `chg_${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32)}`;
}
