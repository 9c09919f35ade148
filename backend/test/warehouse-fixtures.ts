import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PulseEvent } from '@pulse/contract';

/**
 * A fresh data directory. chdb binds one directory per process, so a test file uses one
 * directory throughout and separates its cases by database.
 */
export const tempWarehousePath = (): string => mkdtempSync(join(tmpdir(), 'pulse-warehouse-'));

/** A PulseEvent with the vector loader's defaults (tests/vectors/README.md). */
export function makeEvent(
  fields: Partial<PulseEvent> & Pick<PulseEvent, 'event_id' | 'timestamp'>,
): PulseEvent {
  const eventType = fields.event_type ?? 'page_view';
  return {
    customer_id: 'cust_a',
    visitor_id: 'v1',
    user_id: null,
    session_id: null,
    event_type: eventType,
    event_name: eventType,
    properties: {},
    previous_id: null,
    context: {},
    original_timestamp: fields.timestamp,
    sent_at: fields.timestamp,
    received_at: fields.timestamp,
    ...fields,
  };
}

/** Batch `batch` of the crash test's writer: 2,000 page views in one minute of 2025-01-21. */
export const crashBatch = (batch: number): PulseEvent[] =>
  Array.from({ length: 2_000 }, (_, i) =>
    makeEvent({
      event_id: `b${batch}-e${i}`,
      visitor_id: `v${i % 50}`,
      timestamp: new Date(Date.UTC(2025, 0, 21, 10, batch % 60, i % 60)).toISOString(),
    }),
  );
