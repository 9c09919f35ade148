import { z } from 'zod';
import {
  isCustomerId,
  isOpaqueId,
  type DefinitionAck,
  type IdentityLink,
  type MemberEnd,
  type SegmentChange,
} from '@pulse/contract';
import { SEGMENT_ID_PATTERN } from '@pulse/contract/schema';
import { TOPICS } from '../kafka/topics';
import type { RecordShape } from '../processor/quarantine';

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

const definitionAckSchema = z.object({
  customer_id: customerId,
  segment_id: segmentId,
  version: id,
  phase: z.enum(['switched', 'ended']),
  members: z.number().int().nonnegative(),
  exited: z.number().int().nonnegative(),
  clock: isoTime.nullable(),
});

/** The job's output topics, each with its record's shape. */
const shape = <T>(schema: z.ZodType<T>, name: string): RecordShape<T> => ({ schema, name });

export const OUTPUT_RECORDS = {
  [TOPICS.segments]: shape<SegmentChange>(changeSchema, 'segment change'),
  [TOPICS.identity]: shape<IdentityLink>(linkSchema, 'identity link'),
  [TOPICS.memberships]: shape<MemberEnd>(memberEndSchema, 'membership end'),
  [TOPICS.definitionsApplied]: shape<DefinitionAck>(
    definitionAckSchema,
    'definition acknowledgement',
  ),
};

export const OUTPUT_TOPICS = Object.keys(OUTPUT_RECORDS);
