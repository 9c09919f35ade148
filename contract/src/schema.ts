import { z } from 'zod';
import { util } from 'zod/v4/core';
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
  unload: z.boolean().optional(),
});

/** `POST /v1/receipts`: at most one batch worth of ids. */
export const receiptsRequestSchema = z.object({
  event_ids: z
    .array(z.string().min(1).max(LIMITS.maxEventIdLength))
    .min(1)
    .max(LIMITS.maxBatchEvents),
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
  client_dropped: z.number().int().min(0).optional(),
});

// Bounds and patterns are read from the schema itself, so the two cannot drift apart silently.
const TIMESTAMP = clientEventSchema.shape.timestamp._zod.pattern;
const MAX_LOCALE = eventContextSchema.shape.locale.unwrap()._zod.bag.maximum ?? 0;
const MAX_USER_AGENT = eventContextSchema.shape.user_agent.unwrap()._zod.bag.maximum ?? 0;
const TYPES: ReadonlySet<unknown> = new Set(EVENT_TYPES);

function isString(value: unknown, min: number, max: number): value is string {
  return typeof value === 'string' && value.length >= min && value.length <= max;
}

function isOptionalId(value: unknown): boolean {
  return value === undefined || value === null || isString(value, 1, LIMITS.maxIdLength);
}

function isContext(value: unknown): boolean {
  if (!util.isObject(value)) return false;
  const { locale, user_agent } = value as Record<string, unknown>;
  return (
    (locale === undefined || isString(locale, 0, MAX_LOCALE)) &&
    (user_agent === undefined || isString(user_agent, 0, MAX_USER_AGENT))
  );
}

/**
 * `clientEventSchema`'s verdict, without its per-field machinery and copies: true exactly when
 * `clientEventSchema.safeParse(value).success` (a property test holds the two equal). A hot
 * path accepts with it and asks the schema only why an event was refused; the value itself is
 * then used as the parsed event (unknown top-level fields are still there: pick the known ones).
 */
export function isClientEvent(value: unknown): value is ClientEventInput {
  if (!util.isObject(value)) return false;
  const e = value as Record<string, unknown>;
  return (
    isString(e.event_id, 1, LIMITS.maxEventIdLength) &&
    isString(e.visitor_id, 1, LIMITS.maxIdLength) &&
    isOptionalId(e.user_id) &&
    isOptionalId(e.session_id) &&
    TYPES.has(e.event_type) &&
    isString(e.event_name, 0, LIMITS.maxEventNameLength) &&
    (e.properties === undefined || util.isPlainObject(e.properties)) &&
    isOptionalId(e.previous_id) &&
    (e.context === undefined || isContext(e.context)) &&
    typeof e.timestamp === 'string' &&
    TIMESTAMP !== undefined &&
    TIMESTAMP.test(e.timestamp)
  );
}
