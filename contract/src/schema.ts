import { z } from 'zod';
import { EVENT_TYPES } from './event';
import { LIMITS } from './limits';

/**
 * Runtime validation of the wire contract, shared by the edge and the backend.
 * The SDK never imports this file (it imports types only), so zod costs it no bytes.
 */

const id = z.string().min(1).max(LIMITS.maxIdLength);
const isoTime = z.iso.datetime({ offset: true });

export const eventContextSchema = z.looseObject({
  locale: z.string().max(64).optional(),
  user_agent: z.string().max(1024).optional(),
});

/** One event as a client sends it (native batch). */
export const clientEventSchema = z.object({
  event_id: z.string().min(1).max(LIMITS.maxEventIdLength),
  visitor_id: id,
  user_id: id.nullish(),
  session_id: id.nullish(),
  event_type: z.enum(EVENT_TYPES),
  event_name: z.string().max(LIMITS.maxEventNameLength),
  properties: z.record(z.string(), z.unknown()).optional(),
  previous_id: id.nullish(),
  context: eventContextSchema.optional(),
  timestamp: isoTime,
});

/**
 * The envelope of a native batch. Events are validated one by one afterwards, so that one
 * bad event never costs the good ones beside it.
 */
export const eventBatchEnvelopeSchema = z.object({
  sent_at: isoTime.optional(),
  events: z.array(z.unknown()).min(1).max(LIMITS.maxBatchEvents),
  dropped: z.number().int().min(0).optional(),
});

export type ClientEventInput = z.infer<typeof clientEventSchema>;

/** A readable one-line reason from a zod error: `event_type: Invalid option …`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`)
    .join('; ');
}

/** An event after the edge (PulseEvent), as backend ingest receives it. */
export const pulseEventSchema = clientEventSchema.extend({
  customer_id: id,
  user_id: id.nullable(),
  session_id: id.nullable(),
  previous_id: id.nullable(),
  properties: z.record(z.string(), z.unknown()),
  context: eventContextSchema,
  original_timestamp: isoTime,
  sent_at: isoTime,
  received_at: isoTime,
});

/** What the edge sends to backend ingest: contract SinkBatch. */
export const sinkBatchSchema = z.object({
  customer_id: id,
  events: z.array(pulseEventSchema),
  dead_letters: z.array(
    z.object({
      customer_id: id,
      index: z.number().int().min(0),
      event_id: z.string().nullable(),
      code: z.string(),
      message: z.string(),
      raw: z.unknown(),
      received_at: isoTime,
    }),
  ),
});
