import type { Handler } from 'hono';
import type { EdgeEnv } from '../deps';
import { EdgeError } from '../errors/edge-error';
import type { DecideBackend } from './decide-backend';

/** Longest visitor id accepted (the contract's ids are at most 200 characters). */
const MAX_VISITOR_ID_LENGTH = 200;

/**
 * `GET /v1/decide?visitor_id=…` (write key as on every endpoint, `?key=` for the SDK): the
 * visitor's segments and the client actions their triggers define, from the backend, for
 * the customer of the key (never one named in the request). 400 `invalid_request` without a
 * visitor id; 503 `unavailable` + `Retry-After` when the backend cannot answer. The answer is
 * per visitor and changes as they act, so it is never cached.
 *
 * @example
 * GET /v1/decide?key=pk_live_…&visitor_id=0193… → 200
 * {"visitor_id":"0193…","id":"user-42","segments":["pricing_fans"],
 *  "actions":[{"trigger_id":"fans_banner","name":"show_banner","payload":{"text":"20% off"}}]}
 */
export function decide(backend: DecideBackend | undefined): Handler<EdgeEnv> {
  return async (c) => {
    const visitorId = c.req.query('visitor_id')?.trim() ?? '';
    if (!visitorId || visitorId.length > MAX_VISITOR_ID_LENGTH) {
      throw new EdgeError(
        'invalid_request',
        `visitor_id: required, at most ${MAX_VISITOR_ID_LENGTH} characters`,
      );
    }
    if (!backend) throw new EdgeError('unavailable', 'decide is not configured on this edge', 60);
    const answer = await backend.decide(c.get('keyConfig').customer_id, visitorId);
    c.header('Cache-Control', 'no-store');
    return c.json(answer, 200);
  };
}
