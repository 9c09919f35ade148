import { z } from 'zod';
import { pulseEventSchema } from '@pulse/contract/schema';
import type { MinuteRollup, SegmentChange, SegmentDefinition } from '@pulse/contract';

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

const WINDOW = /^([1-9]\d*)([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MAX_WINDOW_MS = 90 * UNIT_MS.d;

/** `<n>m`, `<n>h` or `<n>d` in milliseconds, or undefined when the text is not a window. */
export function windowMs(window: string): number | undefined {
  const match = WINDOW.exec(window);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

const windowSchema = z.string().refine(
  (w) => {
    const ms = windowMs(w);
    return ms !== undefined && ms <= MAX_WINDOW_MS;
  },
  { message: 'expected a window like "30m", "24h" or "7d", up to 90 days' },
);

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

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

const operatorsSchema = z
  .strictObject({
    eq: scalar.optional(),
    neq: scalar.optional(),
    in: z.array(z.union([z.string(), z.number(), z.boolean()])).optional(),
    contains: z.string().optional(),
    starts_with: z.string().optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    exists: z.boolean().optional(),
  })
  .refine((ops) => Object.keys(ops).length > 0, {
    message: 'a condition object names at least one operator',
  });

const id = z.string().min(1);

export const segmentDefinitionSchema = z.strictObject({
  id,
  name: z.string().optional(),
  rule: z.strictObject({
    event_type: pulseEventSchema.shape.event_type.optional(),
    event_name: z.string().optional(),
    where: z.record(z.string().min(1), eitherOf(isObject, operatorsSchema, scalar)).optional(),
    min_count: z.number().int().min(1),
    window: windowSchema,
  }),
}) satisfies z.ZodType<SegmentDefinition>;

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
