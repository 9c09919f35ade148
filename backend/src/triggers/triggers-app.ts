import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import type { ApiContext } from '../api/api-context';
import { apiError } from './api-error';
import { createDeliveryLog } from './delivery-log';
import { requireSecretKey, type CustomerVariables } from './require-secret-key';
import {
  MAX_TRIGGERS_PER_CUSTOMER,
  publicTrigger,
  triggerInputSchema,
  type Trigger,
  type TriggerInput,
} from './trigger';
import { createTriggerStore } from './trigger-store';
import { internalHostProblem } from './webhook-guard';

type Env = { Variables: CustomerVariables };

const describe = (error: z.ZodError) =>
  error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
    .join('; ');

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

/**
 * The trigger rules API, under `/v1/triggers` (secret key; the customer comes from the key):
 *
 * - `POST /` create (201; the answer carries the webhook secret, made when omitted)
 * - `GET /` list · `GET /{id}` one · `PUT /{id}` create or replace · `DELETE /{id}` (204)
 * - `GET /{id}/deliveries?limit=` the webhook delivery log, newest first
 *
 * Errors are `{ error: { code, message } }`: 400 `invalid_json` / `invalid_trigger` /
 * `unknown_segment` / `too_many_triggers`, 401 `missing_key` / `invalid_key`, 404 `not_found`,
 * 409 `trigger_exists`. Reads never show a webhook's secret.
 */
export function createTriggersApp(context: ApiContext): Hono<Env> {
  const app = new Hono<Env>();
  const triggers = createTriggerStore(context.store);
  const deliveries = createDeliveryLog(context.store);
  app.use('*', requireSecretKey(context.keys));

  /** The validated input, or the error answer. */
  const readInput = async (c: Context<Env>): Promise<TriggerInput | Response> => {
    let json: unknown;
    try {
      json = await c.req.json();
    } catch {
      return apiError(c, 400, 'invalid_json', 'body is not JSON');
    }
    const parsed = triggerInputSchema.safeParse(json);
    if (!parsed.success) return apiError(c, 400, 'invalid_trigger', describe(parsed.error));
    const { action } = parsed.data;
    const internal =
      action.type === 'webhook' && !context.allowPrivateWebhooks
        ? internalHostProblem(action.url)
        : null;
    if (internal) return apiError(c, 400, 'invalid_trigger', `action.url: ${internal}`);
    const [definitions = []] = await context.store.definitions([c.var.customer]);
    if (!definitions.some((d) => d.id === parsed.data.segment_id)) {
      return apiError(c, 400, 'unknown_segment', `no segment ${parsed.data.segment_id}`);
    }
    return parsed.data;
  };

  const build = (input: TriggerInput, id: string, previous: Trigger | null): Trigger => {
    const now = new Date(context.now()).toISOString();
    const { action } = input;
    const oldSecret = previous?.action.type === 'webhook' ? previous.action.secret : undefined;
    return {
      id,
      segment_id: input.segment_id,
      on: input.on,
      action:
        action.type === 'webhook'
          ? { ...action, secret: action.secret ?? oldSecret ?? newId('whsec') }
          : { type: 'client', name: action.name, payload: action.payload ?? null },
      created_at: previous?.created_at ?? now,
      updated_at: now,
    };
  };

  const notFound = (c: Context<Env>, id: string) =>
    apiError(c, 404, 'not_found', `no trigger ${id}`);

  app.get('/', async (c) =>
    c.json({ triggers: (await triggers.list(c.var.customer)).map(publicTrigger) }),
  );

  app.post('/', async (c) => {
    const input = await readInput(c);
    if (input instanceof Response) return input;
    const existing = await triggers.list(c.var.customer);
    if (input.id && existing.some((t) => t.id === input.id)) {
      return apiError(c, 409, 'trigger_exists', `trigger ${input.id} exists; PUT replaces it`);
    }
    if (existing.length >= MAX_TRIGGERS_PER_CUSTOMER) {
      return apiError(c, 400, 'too_many_triggers', `at most ${MAX_TRIGGERS_PER_CUSTOMER}`);
    }
    const trigger = build(input, input.id ?? newId('trg'), null);
    await triggers.put(c.var.customer, trigger);
    return c.json(trigger, 201);
  });

  app.get('/:id', async (c) => {
    const trigger = await triggers.get(c.var.customer, c.req.param('id'));
    return trigger ? c.json(publicTrigger(trigger)) : notFound(c, c.req.param('id'));
  });

  app.put('/:id', async (c) => {
    const id = c.req.param('id');
    const input = await readInput(c);
    if (input instanceof Response) return input;
    if (input.id !== undefined && input.id !== id) {
      return apiError(c, 400, 'invalid_trigger', `id: ${input.id} differs from the path's ${id}`);
    }
    const parsedId = triggerInputSchema.safeParse({ ...input, id });
    if (!parsedId.success) return apiError(c, 400, 'invalid_trigger', describe(parsedId.error));
    const existing = await triggers.list(c.var.customer);
    const previous = existing.find((t) => t.id === id) ?? null;
    if (!previous && existing.length >= MAX_TRIGGERS_PER_CUSTOMER) {
      return apiError(c, 400, 'too_many_triggers', `at most ${MAX_TRIGGERS_PER_CUSTOMER}`);
    }
    const trigger = build(input, id, previous);
    await triggers.put(c.var.customer, trigger);
    return c.json(trigger, previous ? 200 : 201);
  });

  app.delete('/:id', async (c) => {
    const id = c.req.param('id');
    if (!(await triggers.delete(c.var.customer, id))) return notFound(c, id);
    await deliveries.clear(c.var.customer, id);
    return c.body(null, 204);
  });

  app.get('/:id/deliveries', async (c) => {
    const id = c.req.param('id');
    const limit = Number(c.req.query('limit') ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      return apiError(c, 400, 'invalid_limit', 'limit: an integer from 1 to 1000');
    }
    if (!(await triggers.get(c.var.customer, id))) return notFound(c, id);
    const list = await deliveries.list(c.var.customer, id);
    return c.json({ deliveries: list.slice(0, limit) });
  });

  return app;
}
