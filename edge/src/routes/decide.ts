import type { Handler } from 'hono';
import { verifyUserHash } from '@pulse/contract';
import type { EdgeEnv } from '../deps';
import { EdgeError } from '../errors/edge-error';
import type { DecideBackend } from './decide-backend';

/** Longest visitor id accepted (the contract's ids are at most 200 characters). */
const MAX_VISITOR_ID_LENGTH = 200;

/**
 * `GET /v1/decide?visitor_id=…[&user_id=…&user_hash=…]` (write key as on every endpoint, `?key=`
 * for the SDK): segments and the client actions their triggers define, from the backend, for
 * the customer of the key (never one named in the request).
 *
 * The write key is public, so on its own it asks about the visitor's own anonymous profile
 * only: a visitor linked to a user, or a user id passed as a visitor id, answers no segments
 * and never the user id. A page proves who the user is with `user_hash`, the HMAC of
 * `user_id` under the key's `identity_secret` made by the customer's server
 * (contract identity-proof.ts); then the answer is the user's.
 *
 * 400 `invalid_request` without a visitor id, with only one of user_id and user_hash, or with
 * a proof for a key that has no identity secret; 403 `invalid_proof` for a hash that does not
 * prove the user id; 503 `unavailable` + `Retry-After` when the backend cannot answer. The
 * answer changes as the visitor acts: browsers never keep it (`no-store`); the edge keeps it
 * only as `DECIDE_CACHE_MS` says (decide-cache.ts).
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
    const { customer_id, identity_secret } = c.get('keyConfig');
    const userId = c.req.query('user_id');
    const userHash = c.req.query('user_hash');
    if ((userId === undefined) !== (userHash === undefined)) {
      throw new EdgeError('invalid_request', 'user_id and user_hash go together');
    }
    if (userId !== undefined && userHash !== undefined) {
      if (!userId || userId.length > MAX_VISITOR_ID_LENGTH) {
        throw new EdgeError(
          'invalid_request',
          `user_id: at most ${MAX_VISITOR_ID_LENGTH} characters`,
        );
      }
      if (!identity_secret) {
        throw new EdgeError(
          'invalid_request',
          `identity verification is not set up for customer ${customer_id}: the key has no identity_secret`,
        );
      }
      if (!(await verifyUserHash(identity_secret, userId, userHash))) {
        throw new EdgeError('invalid_proof', 'user_hash does not prove user_id');
      }
    }
    if (!backend) throw new EdgeError('unavailable', 'decide is not configured on this edge', 60);
    const answer = await backend.decide(customer_id, visitorId, userId);
    c.header('Cache-Control', 'no-store');
    return c.json(answer, 200);
  };
}
