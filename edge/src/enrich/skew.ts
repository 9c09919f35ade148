import { isoString } from './iso-string';

/** Latest time `toISOString` writes in the contract's four-digit-year form. */
const MAX_ISO_MS = Date.parse('9999-12-31T23:59:59.999Z');
/** Earliest such time. */
const MIN_ISO_MS = Date.parse('0000-01-01T00:00:00.000Z');

/**
 * Corrects a client timestamp for clock skew (shared/DESIGN.md, Segment's rule):
 * `timestamp = received_at − (sent_at − original_timestamp)`. The client's clock only
 * measures the delay between the event and sending it; the edge's clock places it. A result
 * outside what an ISO 8601 four-digit year can say keeps the original timestamp.
 */
export function correctTimestamp(
  originalTimestamp: string,
  originalMs: number,
  sentMs: number,
  receivedMs: number,
): string {
  const corrected = receivedMs - (sentMs - originalMs);
  if (!(corrected >= MIN_ISO_MS && corrected <= MAX_ISO_MS)) return originalTimestamp;
  return isoString(corrected);
}
