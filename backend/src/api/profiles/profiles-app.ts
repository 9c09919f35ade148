import { OpenAPIHono } from '@hono/zod-openapi';
import type { CustomerVariables } from '../../triggers/require-secret-key';
import type { ApiContext } from '../api-context';
import { ApiError } from '../../errors/api-error';
import { validationFailed } from '../segments/openapi-errors';
import { decideFor } from '../decide/decide-for';
import { createTriggerStore } from '../../triggers/trigger-store';
import { deleteProfile } from './delete-profile';
import { findProfile } from './find-profile';
import { profileRoutes as routes } from './profile-routes';

type Env = { Variables: CustomerVariables };

/**
 * `/v1/profiles/{id}`: a profile's identity and segments, and deleting it everywhere (the
 * state store and the warehouse; docs/architecture.md, "Backend API"). The customer is the key's.
 */
export function createProfilesApp(context: ApiContext): OpenAPIHono<Env> {
  const app = new OpenAPIHono<Env>({
    defaultHook: (result) =>
      result.success ? undefined : validationFailed(result.target, result.error),
  });
  const notFound = (id: string) => new ApiError('not_found', `no profile ${id}`);

  app.openapi(routes.get, async (c) => {
    const { id } = c.req.valid('param');
    const profile = await findProfile(context, c.var.customer, id);
    if (!profile) throw notFound(id);
    return c.json(
      {
        id: profile.id,
        user_id: profile.isUser ? profile.id : null,
        visitor_ids: profile.isUser ? profile.sources : [profile.id],
        segments: profile.memberships.map(({ segment, name, until }) => ({
          id: segment,
          ...(name !== undefined ? { name } : {}),
          until: new Date(until).toISOString(),
        })),
        events: profile.events,
      },
      200,
    );
  });

  const triggers = createTriggerStore(context.store);
  app.openapi(routes.decide, async (c) => {
    const customer = c.var.customer;
    const { id } = c.req.valid('param');
    const profile = await findProfile(context, customer, id);
    if (!profile) throw notFound(id);
    // A user is asked for as a signed-in page asks (its user proven), from any of its devices.
    const answer = profile.isUser
      ? await decideFor(
          context.store,
          triggers,
          customer,
          profile.sources[0] ?? profile.id,
          profile.id,
        )
      : await decideFor(context.store, triggers, customer, profile.id);
    return c.json(answer, 200);
  });

  app.openapi(routes.delete, async (c) => {
    const { id } = c.req.valid('param');
    const deleted = await deleteProfile(context, c.var.customer, id);
    if (!deleted) throw notFound(id);
    return c.json({ deleted }, 200);
  });

  return app;
}
