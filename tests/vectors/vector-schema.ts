import { z } from 'zod';
import { pulseEventSchema, segmentDefinitionSchema } from '@pulse/contract/schema';
import type { MinuteRollup, SegmentChange } from '@pulse/contract';

/**
 * The shape of a vector file (tests/vectors/README.md), as zod schemas. Objects are strict, so
 * a misspelt key (`recieved_at`, `min_cout`) fails loudly instead of silently meaning nothing.
 */

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Every time in a vector: UTC ISO 8601 with milliseconds, the one form engines emit. */
export const vectorTimeSchema = z
  .string()
  .regex(ISO_MS, 'expected UTC ISO 8601 with milliseconds, like 2025-01-21T10:30:00.000Z')
  .refine((s) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString() == s, {
    message: 'not a real instant',
  });

function isObject(value: unknown): value is object {
  return typeof value == 'object' && value !== null;
}

/**
 * `whenTrue` for values `pick` accepts, else `otherwise`; errors come from the chosen schema
 * alone, where a zod union would only say "Invalid input".
 */
function eitherOf<A extends z.ZodType, B extends z.ZodType>(
  pick: (value: unknown) => boolean,
  whenTrue: A,
  otherwise: B,
) {
  return z.unknown().transform((value, ctx): z.output<A> | z.output<B> => {
    const result = (pick(value) ? whenTrue : otherwise).safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) ctx.addIssue({ ...issue } as never);
    return z.NEVER;
  });
}

const id = z.string().min(1);

/** Vectors define segments exactly as the Segment API takes them: one schema, the contract's. */
export { segmentDefinitionSchema };

/** An input event as written in a file: a PulseEvent whose defaultable fields may be left out. */
export const inputEventSchema = z.strictObject({
  ...pulseEventSchema.shape,
  user_id: pulseEventSchema.shape.user_id.optional(),
  session_id: pulseEventSchema.shape.session_id.optional(),
  previous_id: pulseEventSchema.shape.previous_id.optional(),
  event_name: pulseEventSchema.shape.event_name.optional(),
  properties: pulseEventSchema.shape.properties.optional(),
  context: pulseEventSchema.shape.context.optional(),
  timestamp: vectorTimeSchema,
  original_timestamp: vectorTimeSchema.optional(),
  sent_at: vectorTimeSchema.optional(),
  received_at: vectorTimeSchema.optional(),
});

export const tickSchema = z.strictObject({ tick: vectorTimeSchema });

/**
 * One input item: a tick when it has a `tick` key, else an event. Dispatching on the key (not a
 * zod union) keeps the error about the item the author meant to write.
 */
const inputItemSchema = eitherOf(
  (item) => isObject(item) && 'tick' in item,
  tickSchema,
  inputEventSchema,
);

const segmentChangeSchema = z.strictObject({
  customer_id: id,
  segment_id: id,
  id,
  change: z.enum(['enter', 'exit']),
  at: vectorTimeSchema,
  reason: z.enum(['rule', 'window', 'merged']),
}) satisfies z.ZodType<SegmentChange>;

const minuteRollupSchema = z.strictObject({
  minute: vectorTimeSchema.refine((m) => Date.parse(m) % 60_000 == 0, {
    message: 'a rollup minute starts on a whole minute',
  }),
  events: z.record(z.string().regex(/^[a-z_]+:/, 'keys are "<event_type>:<event_name>"'), count()),
  visitors: count(),
  sessions: count(),
  pages: z.record(z.string(), count()),
}) satisfies z.ZodType<MinuteRollup>;

function count() {
  return z.number().int().min(0);
}

const perCustomer = <T extends z.ZodType>(value: T) => z.record(id, value);

export const vectorFileSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'names are kebab-case'),
  description: z.string().min(20, 'say what the scenario checks'),
  segments: perCustomer(z.array(segmentDefinitionSchema)),
  input: z.array(inputItemSchema).min(1),
  expect: z.strictObject({
    identities: perCustomer(z.record(id, id)),
    memberships: perCustomer(z.record(id, z.array(id))),
    changes: z.array(segmentChangeSchema),
    rollups: perCustomer(z.array(minuteRollupSchema)),
    event_counts: perCustomer(count()),
  }),
});

export type VectorFile = z.infer<typeof vectorFileSchema>;
