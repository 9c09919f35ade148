import { OpenAPIHono } from '@hono/zod-openapi';
import type { SegmentDefinition } from '@pulse/contract';
import type { CustomerVariables } from '../../triggers/require-secret-key';
import type { ApiContext } from '../api-context';
import { ApiError } from '../../errors/api-error';
import { InvalidCursorError } from '../../state/state-store';
import { allMembers, decodeMemberCursor, memberPage } from './member-page';
import { oneAtATime } from './one-at-a-time';
import { previewSegment } from './preview-segment';
import { requireJsonBody, validationFailed } from './openapi-errors';
import { segmentRoutes as routes } from './segment-routes';
import { defineSegment, deleteSegment, finishSegmentWrite } from './segment-writes';

/** Segments one customer may have. */
export const MAX_SEGMENTS_PER_CUSTOMER = 100;

type Env = { Variables: CustomerVariables };

/** A value with its object keys sorted, so equal rules compare equal however they were typed. */
const canonical = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(canonical)
    : value !== null && typeof value === 'object'
      ? Object.fromEntries(
          Object.entries(value)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([key, item]) => [key, canonical(item)]),
        )
      : value;
const sameRule = (a: SegmentDefinition, b: SegmentDefinition) =>
  JSON.stringify(canonical(a.rule)) === JSON.stringify(canonical(b.rule));

/**
 * `/v1/segments`: create, read, redefine and delete segment definitions, and page through
 * members. The customer is always the key's (`c.var.customer`), never the path's or body's.
 */
export function createSegmentsApp(context: ApiContext): OpenAPIHono<Env> {
  const { store } = context;
  const app = new OpenAPIHono<Env>({
    defaultHook: (result) =>
      result.success ? undefined : validationFailed(result.target, result.error),
  });

  const definitionOf = async (customer: string, id: string) => {
    const [definitions = []] = await store.definitions([customer]);
    return definitions.find((definition) => definition.id === id) ?? null;
  };
  const notFound = (id: string) => new ApiError('not_found', `no segment ${id}`);
  const cursorRefused = () => {
    const message = 'not a cursor this API made (pass next_cursor as it came)';
    return new ApiError('invalid_request', `cursor: ${message}`, {
      issues: [{ path: 'cursor', message }],
    });
  };
  // Writes of one customer's segments run in order, each with its backfill, and behind them
  // the unfinished writes that the backend finishes (segment-writes.ts).
  const serially = context.segmentWrites ?? oneAtATime();
  app.on(['POST', 'PUT'], ['/v1/segments', '/v1/segments/*'], requireJsonBody);

  app.openapi(routes.list, async (c) => {
    const [segments = []] = await store.definitions([c.var.customer]);
    return c.json({ segments }, 200);
  });

  app.openapi(routes.create, async (c) => {
    const customer = c.var.customer;
    const definition = c.req.valid('json');
    return serially(customer, async () => {
      const [existing = []] = await store.definitions([customer]);
      if (existing.some((d) => d.id === definition.id)) {
        const message = `segment ${definition.id} exists; PUT to redefine it`;
        throw new ApiError('segment_exists', message);
      }
      // Every event of a customer is matched against each of its segments: their number is a
      // budget of the processing every tenant shares.
      if (existing.length >= MAX_SEGMENTS_PER_CUSTOMER) {
        const message = `customer ${customer} has ${existing.length} segments, the most it may have; delete one first`;
        throw new ApiError('segment_limit', message);
      }
      const backfill = await defineSegment(context, customer, definition);
      return c.json({ segment: definition, backfill }, 201);
    });
  });

  app.openapi(routes.preview, async (c) => {
    const { rule } = c.req.valid('json');
    return c.json(await previewSegment(context, c.var.customer, rule), 200);
  });

  app.openapi(routes.get, async (c) => {
    const { id } = c.req.valid('param');
    const definition = await definitionOf(c.var.customer, id);
    if (!definition) throw notFound(id);
    return c.json(definition, 200);
  });

  app.openapi(routes.update, async (c) => {
    const customer = c.var.customer;
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    if (body.id !== undefined && body.id !== id) {
      const message = `the body's id ${body.id} is not the path's ${id} (ids cannot change)`;
      throw new ApiError('invalid_segment', `id: ${message}`, {
        issues: [{ path: 'id', message }],
      });
    }
    const { id: _sameId, ...fields } = body;
    const definition: SegmentDefinition = { id, ...fields };
    return serially(customer, async () => {
      const previous = await definitionOf(customer, id);
      if (!previous) throw notFound(id);
      if (sameRule(previous, definition)) {
        await store.putDefinition(customer, definition);
        // Sent again after a write that failed: that write is finished now, history included.
        const finished = await finishSegmentWrite(context, customer, id, 'define');
        const backfill = finished && 'backfill' in finished ? finished.backfill : null;
        return c.json({ segment: definition, backfill }, 200);
      }
      // A new rule makes the old evidence meaningless: the segment starts over and is filled.
      // The members announced so far are kept aside: who stays does not enter again, who does
      // not exits. The Flink job sets them aside itself.
      let previousMembers: Set<string> | undefined;
      if (!context.engineDefinitions) {
        await context.processor.idle();
        previousMembers = await allMembers(store, customer, id);
      }
      const backfill = await defineSegment(context, customer, definition, previousMembers);
      return c.json({ segment: definition, backfill }, 200);
    });
  });

  app.openapi(routes.delete, async (c) => {
    const { id } = c.req.valid('param');
    return serially(c.var.customer, async () => {
      if (!(await definitionOf(c.var.customer, id))) throw notFound(id);
      // Batches already handed in commit first: one planned with the segment and committed
      // after the delete would leave members of a segment that no longer exists.
      if (!context.engineDefinitions) await context.processor.idle();
      await deleteSegment(context, c.var.customer, id);
      return c.body(null, 204);
    });
  });

  app.openapi(routes.members, async (c) => {
    const customer = c.var.customer;
    const { id } = c.req.valid('param');
    const { cursor, limit } = c.req.valid('query');
    const start = cursor === undefined ? { store: null, skip: 0 } : decodeMemberCursor(cursor);
    if (!start) throw cursorRefused();
    if (!(await definitionOf(customer, id))) throw notFound(id);
    try {
      const page = await memberPage(store, customer, id, start, limit);
      return c.json({ members: page.ids, next_cursor: page.next }, 200);
    } catch (error) {
      // The store refused a cursor this API's encoding let through (a forged Redis cursor).
      throw error instanceof InvalidCursorError ? cursorRefused() : error;
    }
  });

  return app;
}
