import { createRoute } from '@hono/zod-openapi';
import { errorResponseSchema } from '../segments/openapi-errors';
import {
  deletedProfileSchema,
  profileDecideSchema,
  profileIdParams,
  profileSchema,
} from './profile-schemas';

const json = <T>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
const security = [{ secretKey: [] }];
const unauthorized = json(errorResponseSchema, 'No key, or a key of no customer.');
const notFound = json(errorResponseSchema, 'The key’s customer knows no such profile.');
const badId = json(errorResponseSchema, 'The id is empty or too long.');

/** The routes of `/v1/profiles`, declared once for validation and the OpenAPI document. */
export const profileRoutes = {
  get: createRoute({
    method: 'get',
    path: '/v1/profiles/{id}',
    tags: ['Profiles'],
    summary: 'A profile’s identity and segments',
    security,
    request: { params: profileIdParams },
    responses: {
      200: json(profileSchema, 'The profile.'),
      400: badId,
      401: unauthorized,
      404: notFound,
    },
  }),
  decide: createRoute({
    method: 'get',
    path: '/v1/profiles/{id}/decide',
    tags: ['Profiles'],
    summary: 'What decide answers a page of this profile',
    description:
      'The segments and client actions the edge’s decide gives a page where this profile is signed in (its user proven), or, for an anonymous visitor, that visitor: the personalization a support person or a dashboard sees for a customer’s user.',
    security,
    request: { params: profileIdParams },
    responses: {
      200: json(profileDecideSchema, 'The answer decide gives.'),
      400: badId,
      401: unauthorized,
      404: notFound,
    },
  }),
  delete: createRoute({
    method: 'delete',
    path: '/v1/profiles/{id}',
    tags: ['Profiles'],
    summary: 'Delete a profile everywhere',
    description:
      'Removes the profile’s identity links, segment evidence and memberships from the state store, and its events, identity links and segment changes from the warehouse. Per-minute rollups keep their counts: they are distinct-count states holding no ids, and expire after 24 h. Events the profile sends afterwards are collected as new.',
    security,
    request: { params: profileIdParams },
    responses: {
      200: json(deletedProfileSchema, 'Deleted.'),
      400: badId,
      401: unauthorized,
      404: notFound,
    },
  }),
};
