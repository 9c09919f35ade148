import type { ClientAction, DecideResponse } from '@pulse/contract';
import type { StateStore } from '../../state/state-store';
import type { TriggerStore } from '../../triggers/trigger-store';

/**
 * A visitor's segments and client actions, read from the state store: the canonical id (the
 * linked user, else the visitor), its memberships over the customer's definitions, and the
 * client actions of the triggers on those segments.
 *
 * A membership whose end the customer's clock has passed counts as over even before the
 * next tick removes it, so decide never shows an action the window has already closed.
 */
export async function decideFor(
  store: StateStore,
  triggers: TriggerStore,
  customer: string,
  visitorId: string,
): Promise<DecideResponse> {
  const [[user], [definitions = []], [clock]] = await Promise.all([
    store.links([{ customer, id: visitorId }]),
    store.definitions([customer]),
    store.clocks([customer]),
  ]);
  const id = user ?? visitorId;
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
