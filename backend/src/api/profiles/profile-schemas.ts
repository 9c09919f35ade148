import { z } from '@hono/zod-openapi';
import { LIMITS } from '@pulse/contract';

export const profileIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(LIMITS.maxIdLength, `a profile id is at most ${LIMITS.maxIdLength} characters`)
    .openapi({
      param: { name: 'id', in: 'path' },
      description: 'A user_id or a visitor_id; a visitor linked to a user names that user.',
      example: 'u_123',
    }),
});

export const profileSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: 'Canonical id: the user_id once known, else the visitor_id.' }),
    user_id: z.string().nullable().openapi({ description: 'null for an anonymous visitor.' }),
    visitor_ids: z.array(z.string()).openapi({
      description:
        'Every id linked to the user (visitor ids, and user ids merged by alias); the visitor itself when anonymous.',
    }),
    segments: z.array(
      z.object({
        id: z.string(),
        name: z.string().optional(),
        until: z.string().openapi({
          description: 'When the membership ends unless new events arrive (ISO 8601).',
        }),
      }),
    ),
    events: z.number().int().openapi({ description: 'Distinct events stored for the profile.' }),
  })
  .openapi('Profile');

export const deletedProfileSchema = z
  .object({
    deleted: z.object({
      id: z.string(),
      ids: z
        .array(z.string())
        .openapi({ description: 'Every id of the profile that was removed.' }),
      events: z.number().int().openapi({ description: 'Events deleted from the warehouse.' }),
    }),
  })
  .openapi('DeletedProfile');

export const profileDecideSchema = z
  .object({
    visitor_id: z.string(),
    id: z.string().openapi({ description: 'The canonical id decide answered for.' }),
    segments: z.array(z.string()),
    actions: z.array(z.record(z.string(), z.unknown())).openapi({
      description: 'The client actions of the triggers on those segments (contract decide.ts).',
    }),
  })
  .openapi('ProfileDecide');
