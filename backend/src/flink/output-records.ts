import { z } from 'zod';
import {
  isCustomerId,
  isOpaqueId,
  type DeadLetter,
  type IdentityLink,
  type MemberEnd,
  type SegmentChange,
} from '@pulse/contract';
import { describeIssues, SEGMENT_ID_PATTERN } from '@pulse/contract/schema';
import { TOPICS } from '../kafka/topics';
import { quarantined, type RecordSource } from '../processor/quarantine';

/**
 * The records the Flink job writes and its loader reads, each checked against its shape and
 * the contract's bounds before it goes into a store. The job only writes what it validated, but
 * these topics are a trust boundary too (a bug, a tool writing by hand), and the records'
 * ids go into store keys: nothing unbounded passes, and a record that does not fit becomes the
 * dead letter that quarantines it.
 */

const isoTime = z.string().refine((text) => Number.isFinite(Date.parse(text)), 'an ISO time');
const customerId = z.string().refine(isCustomerId, 'not a customer id');
const segmentId = z.string().regex(SEGMENT_ID_PATTERN, 'not a segment id');
const id = z.string().refine((value) => isOpaqueId(value), 'not an id');

const changeSchema = z.object({
  customer_id: customerId,
  segment_id: segmentId,
  id,
  change: z.enum(['enter', 'exit']),
  at: isoTime,
  reason: z.enum(['rule', 'window', 'merged', 'redefined']),
});
const linkSchema = z.object({
  customer_id: customerId,
  source_id: id,
  user_id: id,
  at: z.string(),
  event_id: z.string(),
});
const memberEndSchema = z.object({
  customer_id: customerId,
  segment_id: segmentId,
  id,
  until: isoTime.nullable(),
  clock: isoTime,
});

/** A record's shape, and its name in a dead letter's reason. */
export interface OutputRecord<T> {
  schema: z.ZodType<T>;
  name: string;
}

/** The job's output topics, each with its record's shape. */
const shape = <T>(schema: z.ZodType<T>, name: string): OutputRecord<T> => ({ schema, name });

export const OUTPUT_RECORDS = {
  [TOPICS.segments]: shape<SegmentChange>(changeSchema, 'segment change'),
  [TOPICS.identity]: shape<IdentityLink>(linkSchema, 'identity link'),
  [TOPICS.memberships]: shape<MemberEnd>(memberEndSchema, 'membership end'),
};

export const OUTPUT_TOPICS = [TOPICS.segments, TOPICS.identity, TOPICS.memberships];

/** A record of an output topic read against that topic's shape, or the dead letter of it. */
export function readOutputRecord<T>(
  record: OutputRecord<T>,
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
  const parsed = record.schema.safeParse(json);
  if (parsed.success) return { value: parsed.data };
  const reason = `the record is not a valid ${record.name}: ${describeIssues(parsed.error)}`;
  return { quarantine: quarantined(text, key, source, reason) };
}
