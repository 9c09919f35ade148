import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import type { ApiContext } from '../api/api-context';
import { ApiError } from '../errors/api-error';
import { readJsonBody } from '../errors/read-json-body';
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

  /** The validated input; an ApiError when it is refused. */
  const readInput = async (c: Context<Env>): Promise<TriggerInput> => {
    const json = await readJsonBody(c);
    const parsed = triggerInputSchema.safeParse(json);
    if (!parsed.success) throw new ApiError('invalid_trigger', describe(parsed.error));
    const { action } = parsed.data;
    const internal =
      action.type === 'webhook' && !context.allowPrivateWebhooks
        ? internalHostProblem(action.url)
        : null;
    if (internal) throw new ApiError('invalid_trigger', `action.url: ${internal}`);
    const [definitions = []] = await context.store.definitions([c.var.customer]);
    if (!definitions.some((d) => d.id === parsed.data.segment_id)) {
      throw new ApiError('unknown_segment', `no segment ${parsed.data.segment_id}`);
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

  const notFound = (id: string) => new ApiError('not_found', `no trigger ${id}`);
  // Each segment change is matched against every trigger of its customer: a shared budget.
  const tooMany = (customer: string, count: number) =>
    new ApiError(
      'too_many_triggers',
      `customer ${customer} has ${count} triggers, the most it may have (${MAX_TRIGGERS_PER_CUSTOMER}); delete one first`,
    );

  app.get('/', async (c) =>
    c.json({ triggers: (await triggers.list(c.var.customer)).map(publicTrigger) }),
  );

  app.post('/', async (c) => {
    const input = await readInput(c);
    const existing = await triggers.list(c.var.customer);
    if (input.id && existing.some((t) => t.id === input.id)) {
      throw new ApiError('trigger_exists', `trigger ${input.id} exists; PUT replaces it`);
    }
    if (existing.length >= MAX_TRIGGERS_PER_CUSTOMER) {
      throw tooMany(c.var.customer, existing.length);
    }
    const trigger = build(input, input.id ?? newId('trg'), null);
    await triggers.put(c.var.customer, trigger);
    return c.json(trigger, 201);
  });

  app.get('/:id', async (c) => {
    const trigger = await triggers.get(c.var.customer, c.req.param('id'));
    if (!trigger) throw notFound(c.req.param('id'));
    return c.json(publicTrigger(trigger));
  });

  app.put('/:id', async (c) => {
    const id = c.req.param('id');
    const input = await readInput(c);
    if (input.id !== undefined && input.id !== id) {
      throw new ApiError('invalid_trigger', `id: ${input.id} differs from the path's ${id}`);
    }
    const parsedId = triggerInputSchema.safeParse({ ...input, id });
    if (!parsedId.success) throw new ApiError('invalid_trigger', describe(parsedId.error));
    const existing = await triggers.list(c.var.customer);
    const previous = existing.find((t) => t.id === id) ?? null;
    if (!previous && existing.length >= MAX_TRIGGERS_PER_CUSTOMER) {
      throw tooMany(c.var.customer, existing.length);
    }
    const trigger = build(input, id, previous);
    await triggers.put(c.var.customer, trigger);
    return c.json(trigger, previous ? 200 : 201);
  });

  app.delete('/:id', async (c) => {
    const id = c.req.param('id');
    if (!(await triggers.delete(c.var.customer, id))) throw notFound(id);
    await deliveries.clear(c.var.customer, id);
    return c.body(null, 204);
  });

  app.get('/:id/deliveries', async (c) => {
    const id = c.req.param('id');
    const limit = Number(c.req.query('limit') ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new ApiError('invalid_limit', 'limit: an integer from 1 to 1000');
    }
    if (!(await triggers.get(c.var.customer, id))) throw notFound(id);
    const list = await deliveries.list(c.var.customer, id);
    return c.json({ deliveries: list.slice(0, limit) });
  });

  return app;
}
