import { createRoute } from '@hono/zod-openapi';
import { errorResponseSchema } from './openapi-errors';
import {
  memberPageSchema,
  memberQuerySchema,
  segmentIdParams,
  segmentListSchema,
  segmentPreviewRequestSchema,
  segmentPreviewSchema,
  segmentSchema,
  segmentUpdateSchema,
  segmentWriteSchema,
} from './segment-schemas';

const json = <T>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
const error = (description: string) => json(errorResponseSchema, description);
const security = [{ secretKey: [] }];
const unauthorized = error('No key, or a key of no customer.');
const notFound = error('The key’s customer has no such segment.');
const engineLate = error(
  'With the Flink engine: the job did not apply the change within a minute (`unavailable`; is it running?).',
);

/** The routes of `/v1/segments`, declared once for validation and the OpenAPI document. */
export const segmentRoutes = {
  list: createRoute({
    method: 'get',
    path: '/v1/segments',
    tags: ['Segments'],
    summary: 'List the segments of the key’s customer',
    security,
    responses: { 200: json(segmentListSchema, 'Every segment, by id.'), 401: unauthorized },
  }),
  create: createRoute({
    method: 'post',
    path: '/v1/segments',
    tags: ['Segments'],
    summary: 'Create a segment and backfill it from the warehouse history of its window',
    security,
    request: { body: { ...json(segmentSchema, 'The definition.'), required: true } },
    responses: {
      201: json(segmentWriteSchema, 'Created and backfilled.'),
      400: error('The body is not JSON.'),
      401: unauthorized,
      409: error(
        'The customer already has a segment with this id (`segment_exists`), or as many segments as it may have (`segment_limit`).',
      ),
      415: error('The body is not sent as application/json.'),
      422: error('The definition breaks a rule; `issues` names each field.'),
      503: engineLate,
    },
  }),
  preview: createRoute({
    method: 'post',
    path: '/v1/segments/preview',
    tags: ['Segments'],
    summary: 'How many profiles a rule would hold now, without creating a segment',
    description:
      'Reads the warehouse history of the rule’s window (as a backfill would) and counts the profiles with at least `min_count` matching events. Nothing is stored. A rule that breaks a rule of the schema answers 422 with `issues`, so an editor can validate as the user types.',
    security,
    request: { body: { ...json(segmentPreviewRequestSchema, 'The rule.'), required: true } },
    responses: {
      200: json(segmentPreviewSchema, 'What the rule selects now.'),
      400: error('The body is not JSON.'),
      401: unauthorized,
      415: error('The body is not sent as application/json.'),
      422: error('The rule breaks a rule; `issues` names each field.'),
    },
  }),
  get: createRoute({
    method: 'get',
    path: '/v1/segments/{id}',
    tags: ['Segments'],
    summary: 'One segment',
    security,
    request: { params: segmentIdParams },
    responses: { 200: json(segmentSchema, 'The definition.'), 401: unauthorized, 404: notFound },
  }),
  update: createRoute({
    method: 'put',
    path: '/v1/segments/{id}',
    tags: ['Segments'],
    summary: 'Redefine a segment',
    description:
      'A changed rule starts the segment over: its evidence and members are dropped (without exit changes) and rebuilt from the warehouse history of the new window; members who still qualify enter again. A name-only change keeps the members.',
    security,
    request: {
      params: segmentIdParams,
      body: { ...json(segmentUpdateSchema, 'The definition.'), required: true },
    },
    responses: {
      200: json(segmentWriteSchema, 'Updated (and backfilled when the rule changed).'),
      400: error('The body is not JSON, or a bad id.'),
      401: unauthorized,
      404: notFound,
      503: engineLate,
      415: error('The body is not sent as application/json.'),
      422: error('The definition breaks a rule, or its id is not the one in the path.'),
    },
  }),
  delete: createRoute({
    method: 'delete',
    path: '/v1/segments/{id}',
    tags: ['Segments'],
    summary: 'Delete a segment with its members and evidence',
    security,
    request: { params: segmentIdParams },
    responses: {
      204: { description: 'Deleted.' },
      401: unauthorized,
      404: notFound,
      503: engineLate,
    },
  }),
  members: createRoute({
    method: 'get',
    path: '/v1/segments/{id}/members',
    tags: ['Segments'],
    summary: 'A page of the segment’s members',
    security,
    request: { params: segmentIdParams, query: memberQuerySchema },
    responses: {
      200: json(memberPageSchema, 'Up to `limit` members; follow `next_cursor` for more.'),
      400: error('A bad cursor or limit.'),
      401: unauthorized,
      404: notFound,
    },
  }),
};
