import type { ClientAction, DecideResponse } from '@pulse/contract';
import type { StateStore } from '../../state/state-store';
import type { TriggerStore } from '../../triggers/trigger-store';

/**
 * A profile's segments and client actions, read from the state store: its memberships over
 * the customer's definitions, and the client actions of the triggers on those segments.
 *
 * Which profile (the trust model of contract decide.ts): with a proven user, the user's
 * canonical id (the user it was merged into, if any). Without one, the visitor's own
 * anonymous profile, and nothing else: a visitor linked to a user, or an id that is a user
 * with linked visitors (a user id passed as a visitor id), answers no segments and the
 * visitor id as `id`, so the public key reveals neither the link nor the user's segments.
 *
 * A membership whose end the customer's clock has passed counts as over even before the
 * next tick removes it, so decide never shows an action the window has already closed.
 */
export async function decideFor(
  store: StateStore,
  triggers: TriggerStore,
  customer: string,
  visitorId: string,
  provenUserId?: string,
): Promise<DecideResponse> {
  const asked = provenUserId ?? visitorId;
  const [[link], [sources = []], [definitions = []], [clock]] = await Promise.all([
    store.links([{ customer, id: asked }]),
    store.sources([{ customer, id: asked }]),
    store.definitions([customer]),
    store.clocks([customer]),
  ]);
  const identified = link != null || sources.length > 0;
  if (provenUserId === undefined && identified) {
    return { visitor_id: visitorId, id: visitorId, segments: [], actions: [] };
  }
  const id = link ?? asked;
  const ends = await store.memberships(definitions.map((d) => ({ customer, segment: d.id, id })));
  const segments = definitions
    .filter((_, i) => {
      const end = ends[i];
      return end != null && (clock == null || end > clock);
    })
    .map((d) => d.id);
  const member = new Set(segments);
  const actions: ClientAction[] = [];
  if (segments.length > 0) {
    for (const t of await triggers.list(customer)) {
      if (t.action.type === 'client' && t.on === 'enter' && member.has(t.segment_id)) {
        actions.push({ trigger_id: t.id, name: t.action.name, payload: t.action.payload });
      }
    }
  }
  return { visitor_id: visitorId, id, segments, actions };
}
