import type { StateStore } from '../state/state-store';
import type { Trigger } from './trigger';

/** StateStore document kind of trigger rules. */
export const TRIGGER_KIND = 'trigger';

/**
 * A customer's trigger rules, kept as StateStore documents (LMDB embedded, a Redis hash in
 * scale mode), so every processor and API process of a deployment reads the same rules.
 */
export interface TriggerStore {
  list(customer: string): Promise<Trigger[]>;
  get(customer: string, id: string): Promise<Trigger | null>;
  put(customer: string, trigger: Trigger): Promise<void>;
  delete(customer: string, id: string): Promise<boolean>;
}

export function createTriggerStore(store: StateStore): TriggerStore {
  const list = async (customer: string) =>
    (await store.listDocuments(customer, TRIGGER_KIND)).map(({ value }) => value as Trigger);
  return {
    list,
    // Documents are listed by kind only; a customer keeps at most a few hundred triggers.
    get: async (customer, id) => (await list(customer)).find((t) => t.id === id) ?? null,
    put: (customer, trigger) => store.putDocument(customer, TRIGGER_KIND, trigger.id, trigger),
    async delete(customer, id) {
      // Looked up first: the embedded store's deleteDocument answers true for a missing id.
      if (!(await list(customer)).some((t) => t.id === id)) return false;
      return store.deleteDocument(customer, TRIGGER_KIND, id);
    },
  };
}
