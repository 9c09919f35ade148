/** A client action a trigger shows to the members of its segment (`pulse.decide()`). */
export interface ClientAction {
  /** The trigger that defines it. */
  trigger_id: string;
  name: string;
  /** JSON the customer attached to the action (a banner's text, a discount code…). */
  payload: unknown;
}

/**
 * `GET /v1/decide`: a profile's segments and the client actions of the triggers on them.
 * With the public key alone it answers about the visitor's own anonymous profile: `id` is
 * the visitor id, and a visitor already linked to a user (or a user id passed as a visitor
 * id) answers no segments, so a visitor id reveals neither a user id nor a user's segments.
 * With a proven user (`user_id` + `user_hash`, see identity-proof.ts), `id` is that user's
 * canonical id and the answer is the user's.
 */
export interface DecideResponse {
  visitor_id: string;
  id: string;
  segments: string[];
  actions: ClientAction[];
}

/**
 * Path and query of the edge's call to the backend's decide. The edge signs exactly this
 * string with `signBody` (there is no body to sign on a GET) and the backend rebuilds it from
 * the parameters it received, so both sides agree however a URL parser re-encodes the query.
 */
export function backendDecidePath(
  customerId: string,
  visitorId: string,
  provenUserId?: string,
): string {
  const query = new URLSearchParams({ customer_id: customerId, visitor_id: visitorId });
  // Only the edge, after checking the page's user_hash, names a user: the call is signed.
  if (provenUserId !== undefined) query.set('user_id', provenUserId);
  return `/v1/decide?${query.toString()}`;
}
