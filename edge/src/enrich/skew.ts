import { LIMITS } from '@pulse/contract';
import { isoString } from './iso-string';

/**
 * Corrects a client timestamp for clock skew (docs/architecture.md, Segment's rule):
 * `timestamp = received_at − (sent_at − original_timestamp)`. The client's clock only
 * measures the delay between the event and sending it; the edge's clock places it. A result
 * outside the contract's event times (a hostile `sent_at`) keeps the original timestamp,
 * which the schema has already held inside them.
 */
export function correctTimestamp(
  originalTimestamp: string,
  originalMs: number,
  sentMs: number,
  receivedMs: number,
): string {
  const corrected = receivedMs - (sentMs - originalMs);
  if (!(corrected >= LIMITS.minEventTimeMs && corrected < LIMITS.maxEventTimeMs)) {
    return originalTimestamp;
  }
  return isoString(corrected);
}
