import { z } from '@hono/zod-openapi';
import { SEGMENT_ID_PATTERN, segmentDefinitionSchema } from '@pulse/contract/schema';

type OpenApiMetadata = Parameters<z.ZodType['openapi']>[1];

/**
 * `schema.openapi(id, metadata)` for a schema made before this module loaded zod's OpenAPI
 * extension (the contract's): zod 4 gives a schema its methods when it is made, so only
 * schemas made afterwards carry `.openapi` themselves.
 */
function named<T extends z.ZodType>(schema: T, id: string, metadata?: OpenApiMetadata): T {
  return z.ZodType.prototype.openapi.call(schema, id, metadata) as T;
}

/** A segment definition (contract/src/segment.ts), as stored and answered. */
export const segmentSchema = named(segmentDefinitionSchema, 'SegmentDefinition', {
  example: {
    id: 'pricing_fans',
    name: 'Pricing fans',
    rule: {
      event_type: 'page_view',
      where: { 'properties.path': '/pricing' },
      min_count: 3,
      window: '7d',
    },
  },
});

/** `PUT /v1/segments/{id}`: the definition; its `id` may be left out (the path names it). */
export const segmentUpdateSchema = segmentDefinitionSchema
  .extend({ id: segmentDefinitionSchema.shape.id.optional() })
  .openapi('SegmentUpdate');

export const segmentIdParams = z.object({
  id: z
    .string()
    .regex(SEGMENT_ID_PATTERN, 'a segment id is 1-64 letters, digits, "_" or "-"')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'pricing_fans' }),
});

export const backfillSchema = z
  .object({
    from: z.string().openapi({ description: 'Start of the history read (ISO 8601).' }),
    events_scanned: z.number().int(),
    events_replayed: z.number().int(),
    members: z.number().int(),
    exited: z.number().int().openapi({
      description:
        'Members under the previous rule that the new one does not keep; each exits with reason `redefined` (0 for a new segment).',
    }),
  })
  .openapi('Backfill', {
    description:
      'The warehouse history of the window (at most the 7 days of events it keeps) run through the processor for this segment.',
  });

/** `POST /v1/segments/preview`: a rule to try. */
export const segmentPreviewRequestSchema = z
  .object({ rule: segmentDefinitionSchema.shape.rule })
  .openapi('SegmentPreviewRequest');

export const segmentPreviewSchema = z
  .object({
    from: z.string().openapi({ description: 'Start of the history read (ISO 8601).' }),
    events_scanned: z.number().int(),
    events_matched: z.number().int(),
    members: z.number().int().openapi({
      description: 'Profiles the rule would hold if the segment were created now.',
    }),
    complete: z.boolean().openapi({
      description: 'False when the window held more than 100,000 events: counts are of those.',
    }),
  })
  .openapi('SegmentPreview');

export const segmentWriteSchema = z
  .object({
    segment: segmentSchema,
    backfill: backfillSchema.nullable().openapi({
      description:
        'null when an update kept the rule (members are kept as they are), unless it finished a write of the segment left unfinished (an earlier request that failed): then what that backfill did.',
    }),
  })
  .openapi('SegmentWrite');

export const segmentListSchema = z.object({ segments: z.array(segmentSchema) });

export const memberQuerySchema = z.object({
  cursor: z
    .string()
    .max(2000)
    .optional()
    .openapi({
      param: { name: 'cursor', in: 'query' },
      description: 'next_cursor of the previous page.',
    }),
  limit: z.coerce
    .number()
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(1000, 'limit is at most 1000')
    .default(100)
    .openapi({ param: { name: 'limit', in: 'query' }, example: 100 }),
});

export const memberPageSchema = z
  .object({
    members: z.array(z.string()).openapi({ description: 'Canonical ids: user_id once known.' }),
    next_cursor: z.string().nullable().openapi({ description: 'null on the last page.' }),
  })
  .openapi('MemberPage');
