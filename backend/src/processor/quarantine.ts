import type { DeadLetter, PulseEvent, SinkBatch } from '@pulse/contract';
import { describeIssues, pulseEventSchema, readPulseEvent } from '@pulse/contract/schema';
import type { Producer } from 'kafkajs';
import type { z } from 'zod';
import { TOPICS } from '../kafka/topics';
import type { OutboxEntry } from '../state/state-store';

/** Where a consumer read a record. */
export interface RecordSource {
  topic: string;
  partition: number;
  offset: string;
}

/** Longest record text a quarantine keeps (Kafka's default largest message). */
const MAX_RAW_CHARS = 1024 * 1024;

/** The customer a record's key names (`customer_id:visitor_id`), when it names one. */
const customerOfKey = (key: string | null): string => {
  const customer = key?.split(':', 1)[0] ?? '';
  return customer || 'unknown';
};

/** What a consumed record must be: a schema, and the record's name in a dead letter's reason. */
export interface RecordShape<T> {
  schema: z.ZodType<T>;
  name: string;
  /**
   * The schema's output without its machinery, or undefined exactly when the schema refuses
   * the value (then the schema says why). @default the schema alone
   */
  read?: (json: unknown) => T | undefined;
}

/** The records of `pulse.events.*`: the contract's event. */
export const EVENT_RECORD: RecordShape<PulseEvent> = {
  schema: pulseEventSchema as z.ZodType<PulseEvent>,
  name: 'event',
  read: readPulseEvent as (json: unknown) => PulseEvent | undefined,
};

/**
 * A consumed record read as `shape` says: parsed and validated with its schema (a consumer is a
 * trust boundary too: whatever is in Kafka may not have come from ingest or from the job).
 * Anything else is answered as the dead letter that quarantines it.
 */
export function readRecord<T>(
  shape: RecordShape<T>,
  text: string,
  key: string | null,
  source: RecordSource,
): { value: T } | { quarantine: DeadLetter } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { quarantine: quarantined(text, key, source, 'the record is not JSON') };
  }
  const read = shape.read?.(json);
  if (read !== undefined) return { value: read };
  const parsed = shape.schema.safeParse(json);
  if (parsed.success) return { value: parsed.data };
  const reason = `the record is not a valid ${shape.name}: ${describeIssues(parsed.error)}`;
  return { quarantine: quarantined(text, key, source, reason) };
}

/** The dead letter of a record that failed: code `quarantined`, the reason, the raw record. */
export function quarantined(
  raw: string | PulseEvent,
  key: string | null,
  source: RecordSource | undefined,
  reason: string,
): DeadLetter {
  const event = typeof raw == 'string' ? undefined : raw;
  return {
    customer_id: event?.customer_id ?? customerOfKey(key),
    index: -1,
    event_id: event?.event_id ?? null,
    code: 'quarantined',
    message: reason,
    raw: typeof raw == 'string' ? raw.slice(0, MAX_RAW_CHARS) : raw,
    received_at: new Date().toISOString(),
    ...(source ? { source } : {}),
  };
}

/**
 * Writes dead letters to `pulse.dlq` (key and `customer_id` header the letter's customer, `code`
 * header its code); resolves once they are durable there (acks=all), so a caller may then move
 * its offsets past the records they quarantine.
 */
export async function sendDeadLetters(
  producer: Pick<Producer, 'send'>,
  letters: DeadLetter[],
): Promise<void> {
  if (!letters.length) return;
  await producer.send({
    topic: TOPICS.dlq,
    acks: -1,
    messages: letters.map((letter) => ({
      key: letter.customer_id,
      value: JSON.stringify(letter),
      headers: { customer_id: letter.customer_id, code: letter.code },
    })),
  });
}

/** A processing error as a quarantine reason: its message, and its cause's. */
export function failureReason(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  const cause = (error as { cause?: Error })?.cause?.message;
  const reason = cause && !message.includes(cause) ? `${message}: ${cause}` : message;
  return `processing failed deterministically: ${reason}`.slice(0, 1000);
}

/**
 * The dead letters of an outbox entry parked after its write-out kept failing (processor.ts,
 * MAX_WRITE_OUT_ATTEMPTS): one per customer, code `quarantined`, holding that customer's
 * changes and links. They are not events, so `redrive` leaves them for an operator.
 */
export function parkedOutboxLetters(entry: OutboxEntry, error: unknown): SinkBatch[] {
  const customers = new Set([
    ...entry.changes.map((change) => change.customer_id),
    ...entry.links.map((link) => link.customer_id),
  ]);
  const message = `write-out of outbox entry ${entry.id} kept failing; ${failureReason(error)}`;
  return [...customers].map((customer) => ({
    customer_id: customer,
    events: [],
    dead_letters: [
      {
        customer_id: customer,
        index: -1,
        event_id: null,
        code: 'quarantined',
        message: message.slice(0, 1000),
        raw: {
          outbox_id: entry.id,
          changes: entry.changes.filter((change) => change.customer_id === customer),
          links: entry.links.filter((link) => link.customer_id === customer),
        },
        received_at: new Date().toISOString(),
      },
    ],
  }));
}
