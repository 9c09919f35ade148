import type { ApiContext } from '../api-context';
import { findProfile } from './find-profile';

/** What deleting a profile removed: its canonical id, every id of it, and its events. */
export interface DeletedProfile {
  id: string;
  ids: string[];
  events: number;
}

/**
 * Deletes the person `id` names everywhere: the engine's own state (the Flink job), the
 * warehouse, then the state store; null when no store knows any of its ids. It runs where the
 * processing runs (a process that does not process hands it over: ../processing-handoff.ts),
 * after the batches handed in before it, so no batch planned with the person's state commits
 * it back afterwards.
 */
export async function deleteProfile(
  context: Pick<ApiContext, 'store' | 'warehouse' | 'processor' | 'announceDeletion' | 'handoff'>,
  customer: string,
  id: string,
): Promise<DeletedProfile | null> {
  if (context.handoff && !context.handoff.here()) {
    const words = { what: `the deletion of profile ${id}`, then: 'ask again' };
    const request = { kind: 'profile-delete' as const, customer, id };
    return (await context.handoff.ask(request, words)) as DeletedProfile | null;
  }
  await context.processor.idle();
  const profile = await findProfile(context, customer, id);
  if (!profile) return null;
  const ids = [profile.id, ...profile.sources];
  // The engine's own state first (the Flink job), then the warehouse, then the state store:
  // while the store still has the profile a failed step is retried by asking again, and the
  // other orders could leave state or events that no retry would find.
  await context.announceDeletion?.({ customer_id: customer, id: profile.id });
  const events = await context.warehouse.deleteProfile(customer, ids);
  await context.store.deleteProfile(customer, profile.id);
  return { id: profile.id, ids, events };
}
