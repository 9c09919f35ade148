import { z } from 'zod';
import { util } from 'zod/v4/core';
import { EVENT_TYPES } from './event';
import {
  CUSTOMER_ID_PATTERN,
  hasControlCharacter,
  hasLoneSurrogate,
  isCustomerId,
  isOpaqueId,
} from './ids';
import { jsonShapeIssue } from './json-shape';
import { LIMITS } from './limits';
import type { SegmentDefinition } from './segment';
import { parseWindow } from './segment-window';
import { TRACEPARENT_PATTERN } from './trace';

/**
 * Runtime validation of the wire contract, shared by the edge and the backend.
 * The SDK never imports this file (it imports types only), so zod costs it no bytes.
 */

const NO_CONTROL = 'must not contain control characters';
const NO_LONE_SURROGATE = 'must be well-formed Unicode (no lone surrogate)';
const opaqueId = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => !hasControlCharacter(value), NO_CONTROL)
    .refine((value) => !hasLoneSurrogate(value), NO_LONE_SURROGATE);
const id = opaqueId(LIMITS.maxIdLength);
const customerId = z.string().regex(CUSTOMER_ID_PATTERN, 'is not a valid customer id');
const isEventTime = (value: string) => {
  const ms = Date.parse(value);
  return ms >= LIMITS.minEventTimeMs && ms < LIMITS.maxEventTimeMs;
};
const TIME_RANGE = `must be a time from ${new Date(LIMITS.minEventTimeMs).toISOString()} to before ${new Date(LIMITS.maxEventTimeMs).toISOString()}`;
const anyIsoTime = z.iso.datetime({ offset: true });
const isoTime = anyIsoTime.refine(isEventTime, TIME_RANGE);

/** Refuses a JSON value over the contract's depth, key and array limits (json-shape.ts). */
const withinShape = (value: unknown, ctx: z.RefinementCtx) => {
  const issue = jsonShapeIssue(value);
  if (issue !== undefined) ctx.addIssue({ code: 'custom', message: issue });
};

export const eventContextSchema = z
  .looseObject({
    locale: z.string().max(64).optional(),
    user_agent: z.string().max(1024).optional(),
  })
  .superRefine(withinShape);

const propertiesSchema = z.record(z.string(), z.unknown()).superRefine(withinShape);

/** One event as a client sends it (native batch). */
export const clientEventSchema = z.object({
  event_id: opaqueId(LIMITS.maxEventIdLength),
  visitor_id: id,
  user_id: id.nullish(),
  session_id: id.nullish(),
  event_type: z.enum(EVENT_TYPES),
  event_name: z
    .string()
    .max(LIMITS.maxEventNameLength)
    .refine((value) => !hasLoneSurrogate(value), NO_LONE_SURROGATE),
  properties: propertiesSchema.optional(),
  previous_id: id.nullish(),
  context: eventContextSchema.optional(),
  timestamp: isoTime,
});

/**
 * The envelope of a native batch. Events are validated one by one afterwards, so that one
 * bad event never costs the good ones beside it.
 */
export const eventBatchEnvelopeSchema = z.object({
  // A client clock years off costs no events: the edge ignores a sent_at outside the
  // contract's event times and corrects no skew with it.
  sent_at: anyIsoTime.optional(),
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
  customer_id: customerId,
  user_id: id.nullable(),
  session_id: id.nullable(),
  previous_id: id.nullable(),
  properties: propertiesSchema,
  context: eventContextSchema,
  original_timestamp: isoTime,
  sent_at: isoTime,
  received_at: isoTime,
});

/** What the edge sends to backend ingest: contract SinkBatch. */
export const sinkBatchSchema = z.object({
  customer_id: customerId,
  events: z.array(pulseEventSchema),
  dead_letters: z.array(
    z.object({
      customer_id: customerId,
      index: z.number().int().min(0),
      event_id: z.string().nullable(),
      code: z.string(),
      message: z.string(),
      raw: z.unknown(),
      received_at: isoTime,
    }),
  ),
  client_dropped: z.number().int().min(0).optional(),
  traceparent: z.string().regex(TRACEPARENT_PATTERN).optional(),
});

// Bounds and patterns are read from the schema itself, so the two cannot drift apart silently.
const TIMESTAMP = clientEventSchema.shape.timestamp._zod.pattern;
const MAX_LOCALE = eventContextSchema.shape.locale.unwrap()._zod.bag.maximum ?? 0;
const MAX_USER_AGENT = eventContextSchema.shape.user_agent.unwrap()._zod.bag.maximum ?? 0;
const TYPES: ReadonlySet<unknown> = new Set(EVENT_TYPES);

function isString(value: unknown, min: number, max: number): value is string {
  return typeof value === 'string' && value.length >= min && value.length <= max;
}

/** An ISO time in the schema's form, inside the contract's event times. */
function isTime(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    TIMESTAMP !== undefined &&
    TIMESTAMP.test(value) &&
    isEventTime(value)
  );
}

function isOptionalId(value: unknown): boolean {
  return value === undefined || value === null || isOpaqueId(value, LIMITS.maxIdLength);
}

function isContext(value: unknown): boolean {
  if (!util.isObject(value)) return false;
  const { locale, user_agent } = value as Record<string, unknown>;
  return (
    (locale === undefined || isString(locale, 0, MAX_LOCALE)) &&
    (user_agent === undefined || isString(user_agent, 0, MAX_USER_AGENT)) &&
    jsonShapeIssue(value) === undefined
  );
}

/** Whether an ISO time is inside the contract's event times (LIMITS.minEventTimeMs…max). */
export { isEventTime };

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
    isOpaqueId(e.event_id, LIMITS.maxEventIdLength) &&
    isOpaqueId(e.visitor_id, LIMITS.maxIdLength) &&
    isOptionalId(e.user_id) &&
    isOptionalId(e.session_id) &&
    TYPES.has(e.event_type) &&
    isString(e.event_name, 0, LIMITS.maxEventNameLength) &&
    !hasLoneSurrogate(e.event_name) &&
    (e.properties === undefined ||
      (util.isPlainObject(e.properties) && jsonShapeIssue(e.properties) === undefined)) &&
    isOptionalId(e.previous_id) &&
    (e.context === undefined || isContext(e.context)) &&
    isTime(e.timestamp)
  );
}

export type PulseEventInput = z.infer<typeof pulseEventSchema>;
export type SinkBatchInput = z.infer<typeof sinkBatchSchema>;

/** The fields of a PulseEvent, in the schema's order. */
const PULSE_EVENT_FIELDS = Object.keys(pulseEventSchema.shape) as (keyof PulseEventInput)[];

/**
 * `pulseEventSchema.safeParse`, without its per-field machinery: the event with the schema's
 * fields only (as the schema strips any other top-level field), or undefined exactly when the
 * schema refuses it (a property test holds the two equal). A consumer reads every record with
 * it and asks the schema only why one was refused; zod took about 8 µs of an event's CPU.
 */
export function readPulseEvent(value: unknown): PulseEventInput | undefined {
  if (!util.isObject(value)) return undefined;
  const e = value as Record<string, unknown>;
  // A client event whose optional fields the edge has all filled in (the ids may be null),
  // with the edge's own fields.
  const valid =
    isClientEvent(value) &&
    e.user_id !== undefined &&
    e.session_id !== undefined &&
    e.previous_id !== undefined &&
    e.properties !== undefined &&
    e.context !== undefined &&
    isCustomerId(e.customer_id) &&
    isTime(e.original_timestamp) &&
    isTime(e.sent_at) &&
    isTime(e.received_at);
  if (!valid) return undefined;
  const event: Record<string, unknown> = {};
  for (const field of PULSE_EVENT_FIELDS) event[field] = e[field];
  // The schema hands back copies of the two open objects; so does this.
  event.properties = { ...(e.properties as object) };
  event.context = { ...(e.context as object) };
  return event as PulseEventInput;
}

/** `sinkBatchSchema` with its events left to {@link readPulseEvent}. */
const sinkBatchEnvelopeSchema = sinkBatchSchema.extend({ events: z.array(z.unknown()) });

/**
 * `sinkBatchSchema.safeParse`'s data, or undefined exactly when the schema refuses the batch
 * (a property test holds the two equal): the envelope through the schema, each event through
 * {@link readPulseEvent}. On undefined, the schema tells why.
 */
export function readSinkBatch(value: unknown): SinkBatchInput | undefined {
  const envelope = sinkBatchEnvelopeSchema.safeParse(value);
  if (!envelope.success) return undefined;
  const events: PulseEventInput[] = [];
  for (const raw of envelope.data.events) {
    const event = readPulseEvent(raw);
    if (event === undefined) return undefined;
    events.push(event);
  }
  return { ...envelope.data, events };
}

// ---------------------------------------------------------------------------------------------
// Segment definitions (contract/src/segment.ts), as the Segment API accepts them.

export { parseWindow, MAX_WINDOW_MS } from './segment-window';

/**
 * Segment ids: letters, digits, `_` and `-`, up to 64. They appear in URLs and in state keys
 * (`segment:{customer}:{segment}`, matched by pattern in Redis), so `:`, `*`, `/` and
 * spaces are kept out.
 */
export const SEGMENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Bounds of a rule: every event of a customer is matched against each of its segments, so a
 * rule's size is a cost every tenant shares.
 */
const MAX_WHERE_CONDITIONS = 20;
const MAX_IN_VALUES = 100;
const MAX_RULE_TEXT = 1000;

const scalarSchema = z.union([
  z.string().max(MAX_RULE_TEXT, `a value is at most ${MAX_RULE_TEXT} characters`),
  z.number(),
  z.boolean(),
  z.null(),
]);

/** The operator object of a condition (tests/vectors/README.md, "Matching"). */
export const conditionOperatorsSchema = z
  .strictObject({
    eq: scalarSchema.optional(),
    neq: scalarSchema.optional(),
    in: z
      .array(z.union([z.string().max(MAX_RULE_TEXT), z.number(), z.boolean()]), {
        error: 'in must be a list of strings, numbers or booleans',
      })
      .min(1, 'in must list at least one value')
      .max(MAX_IN_VALUES, `in lists at most ${MAX_IN_VALUES} values`)
      .optional(),
    contains: z
      .string({ error: 'contains must be a string' })
      .max(MAX_RULE_TEXT, `contains is at most ${MAX_RULE_TEXT} characters`)
      .optional(),
    starts_with: z
      .string({ error: 'starts_with must be a string' })
      .max(MAX_RULE_TEXT, `starts_with is at most ${MAX_RULE_TEXT} characters`)
      .optional(),
    gt: z.number({ error: 'gt must be a number' }).optional(),
    gte: z.number({ error: 'gte must be a number' }).optional(),
    lt: z.number({ error: 'lt must be a number' }).optional(),
    lte: z.number({ error: 'lte must be a number' }).optional(),
    exists: z.boolean({ error: 'exists must be true or false' }).optional(),
  })
  .refine((operators) => Object.keys(operators).length > 0, {
    message:
      'a condition object names at least one operator: eq, neq, in, contains, starts_with, gt, gte, lt, lte, exists',
  });

/** A condition: a bare value (strict equality) or an object of operators. */
export const conditionSchema = z
  .union([scalarSchema, conditionOperatorsSchema], {
    // An object was meant as operators: say what is wrong with it (an unknown operator, a
    // wrong type) rather than only that no branch of the union fits.
    error: (issue) => {
      const inner = issue.code === 'invalid_union' ? issue.errors?.[1]?.[0] : undefined;
      if (typeof issue.input == 'object' && issue.input !== null && inner) {
        return inner.code === 'unrecognized_keys'
          ? `unknown operator ${inner.keys.map((k) => JSON.stringify(k)).join(', ')}: use eq, neq, in, contains, starts_with, gt, gte, lt, lte or exists`
          : inner.message;
      }
      return 'a condition is a string, number, boolean or null (equality) or an object of operators';
    },
  })
  .describe('A bare value (strict equality) or an object of operators, all of which must hold.');

/** What events count towards a segment, and how many within how long. */
export const segmentRuleSchema = z.strictObject({
  event_type: z
    .enum(EVENT_TYPES, { error: `event_type must be one of ${EVENT_TYPES.join(', ')}` })
    .optional(),
  event_name: z
    .string({ error: 'event_name must be a string' })
    .max(LIMITS.maxEventNameLength, `event_name is at most ${LIMITS.maxEventNameLength} characters`)
    .optional(),
  where: z
    .record(
      z
        .string()
        .max(200, 'a where key is at most 200 characters')
        .regex(
          /^[^.]+(\.[^.]+)*$/,
          'a where key is a dotted path into the event, like "properties.path"',
        ),
      conditionSchema,
      { error: 'where must be an object of path → condition' },
    )
    .refine(
      (where) => Object.keys(where).length <= MAX_WHERE_CONDITIONS,
      `where holds at most ${MAX_WHERE_CONDITIONS} conditions`,
    )
    .optional(),
  min_count: z
    .number({ error: 'min_count must be a number' })
    .int('min_count must be a whole number')
    .min(1, 'min_count must be at least 1')
    .max(1_000_000, 'min_count is at most 1000000')
    .describe('At least this many distinct matching events (by event_id) inside the window.'),
  window: z
    .string({ error: 'window must be a string like "30m", "24h" or "7d"' })
    .refine(
      (window) => parseWindow(window) !== null,
      'window must be <n>m, <n>h or <n>d (like "30m", "24h", "7d"), at most 90 days',
    )
    .describe(
      'Sliding event-time window: <n>m, <n>h or <n>d ("30m", "24h", "7d"), at most 90 days.',
    ),
});

/** A customer's segment definition, as created or updated through the Segment API. */
export const segmentDefinitionSchema = z.strictObject({
  id: z
    .string({ error: 'id must be a string' })
    .regex(
      SEGMENT_ID_PATTERN,
      'id must be 1-64 letters, digits, "_" or "-", starting with a letter or digit',
    ),
  name: z
    .string({ error: 'name must be a string' })
    .max(200, 'name is at most 200 characters')
    .optional(),
  rule: segmentRuleSchema,
}) satisfies z.ZodType<SegmentDefinition>;

/** One reason a value was refused: the dotted path of the field and what is wrong with it. */
export interface FieldIssue {
  path: string;
  message: string;
}

/**
 * Every reason a value was refused, by field. A union's refusal (a `where` condition) is
 * replaced by the reasons of the branch the value was meant for, when one branch got past the
 * type check (`{ "gt": "x" }` → `gt must be a number`, not "a condition is …").
 */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return flattenIssues(error.issues, []);
}

/** Whether an issue only says "not of this branch's type" (a scalar union's refusal too). */
const isTypeMismatch = (issue: z.core.$ZodIssue): boolean =>
  issue.path.length === 0 &&
  (issue.code === 'invalid_type' ||
    (issue.code === 'invalid_union' &&
      issue.errors.every((branch) => branch.every(isTypeMismatch))));

function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[]): FieldIssue[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      const meant = issue.errors.filter((branch) => !branch.every(isTypeMismatch));
      if (meant.length === 1) return flattenIssues(meant[0] ?? [], path);
    }
    // A bad record key: say what is wrong with the key itself.
    if (issue.code === 'invalid_key') return flattenIssues(issue.issues, path);
    return [{ path: path.map(String).join('.'), message: issue.message }];
  });
}
