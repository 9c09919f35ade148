/** A client action a trigger shows to the members of its segment (`pulse.decide()`). */
export interface ClientAction {
  /** The trigger that defines it. */
  trigger_id: string;
  name: string;
  /** JSON the customer attached to the action (a banner's text, a discount code…). */
  payload: unknown;
}

/**
 * `GET /v1/decide`: a visitor's segments and the client actions of the triggers on them.
 * `id` is the canonical id: the user the visitor is linked to, else the visitor itself.
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
export function backendDecidePath(customerId: string, visitorId: string): string {
  const query = new URLSearchParams({ customer_id: customerId, visitor_id: visitorId });
  return `/v1/decide?${query.toString()}`;
}
