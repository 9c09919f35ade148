import { Hono } from 'hono';
import { backendDecidePath, LIMITS, SIGNATURE_HEADER, verifyBody } from '@pulse/contract';
import type { ApiContext } from '../api-context';
import { ApiError } from '../../errors/api-error';
import { createTriggerStore } from '../../triggers/trigger-store';
import { decideFor } from './decide-for';

/** Longest id accepted (the contract's). */
const MAX_ID_LENGTH = LIMITS.maxIdLength;

/**
 * `GET /v1/decide?customer_id=…&visitor_id=…[&user_id=…]`, called by the edge for a public
 * write key: 200 `DecideResponse` (contract). `user_id` is there only when the edge checked
 * the page's proof of it (contract identity-proof.ts). The edge resolved the customer from the write key and signs
 * the request (contract `signBody` over `backendDecidePath(customer, visitor)`) with the
 * secret it signs ingest batches with, so no one but the edge can read a customer's segments:
 * a missing, forged or stale signature answers 401 `invalid_signature`.
 */
export function createDecideApp(context: ApiContext): Hono {
  const app = new Hono();
  const triggers = createTriggerStore(context.store);

  app.get('/', async (c) => {
    const secret = context.ingestSecret;
    if (!secret) {
      throw new ApiError('unavailable', 'decide is off: the backend has an empty ingest secret');
    }
    const customer = c.req.query('customer_id') ?? '';
    const visitor = c.req.query('visitor_id') ?? '';
    // Named only by the edge, once the page proved it (the signature covers it).
    const provenUser = c.req.query('user_id');
    const check = await verifyBody(
      secret,
      c.req.header(SIGNATURE_HEADER),
      backendDecidePath(customer, visitor, provenUser),
    );
    if (!check.ok) {
      throw new ApiError('invalid_signature', `signature refused: ${check.code}`);
    }
    if (
      !customer ||
      !visitor ||
      customer.length > MAX_ID_LENGTH ||
      visitor.length > MAX_ID_LENGTH
    ) {
      throw new ApiError(
        'invalid_request',
        `customer_id and visitor_id: non-empty, at most ${MAX_ID_LENGTH} characters`,
      );
    }
    return c.json(await decideFor(context.store, triggers, customer, visitor, provenUser));
  });
  return app;
}
