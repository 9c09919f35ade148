import type { IdentityLink } from '@pulse/contract';
import { beforeAll, describe, expect, it } from 'vitest';
import { linkChanges } from '../src/flink/link-changes';
import type { StateStore } from '../src/state/state-store';
import { storeAdapters } from './store-adapters';

const { adapters } = storeAdapters('pulse-state-merge-order-');

const IDS = ['v-phone', 'u-a', 'u-b', 'u-c'];

/**
 * The links the engines emit, per source (the key of `pulse.identity`, so one partition each),
 * for: the phone logs in as u-a, u-a is merged into u-b, then u-b into u-c. Each merge relinks
 * the merged user and every source it carried to the new canonical user.
 */
const PARTITIONS: IdentityLink[][] = [
  [link('v-phone', 'u-a'), link('v-phone', 'u-b'), link('v-phone', 'u-c')],
  [link('u-a', 'u-b'), link('u-a', 'u-c')],
  [link('u-b', 'u-c')],
];

/** What the processor's commits leave: every id linked to u-c, and only u-c with sources. */
const IN_ORDER = {
  links: { 'v-phone': 'u-c', 'u-a': 'u-c', 'u-b': 'u-c', 'u-c': null },
  sources: { 'v-phone': [], 'u-a': [], 'u-b': [], 'u-c': ['u-a', 'u-b', 'v-phone'] },
};

describe.each(adapters)(
  'links of a merge loaded out of order in the %s store',
  (_name, open, skip) => {
    let store: StateStore;
    beforeAll(() => {
      if (skip) return;
      store = open();
    });

    it.skipIf(skip)(
      'ends as the in-order commits leave it, in every order the partitions can be loaded',
      async () => {
        const orders = interleavings(PARTITIONS);
        expect(orders).toHaveLength(60);
        for (const [n, order] of orders.entries()) {
          const customer = `cust_order_${n}`;
          for (const record of order)
            await store.commit(linkChanges([{ ...record, customer_id: customer }]));
          const label = order.map((l) => `${l.source_id}→${l.user_id}`).join(', ');
          expect({ order: label, ...(await stateOf(store, customer)) }).toEqual({
            order: label,
            ...IN_ORDER,
          });
          // Loaded at least once: each partition read again from its start changes nothing.
          for (const partition of PARTITIONS)
            for (const record of partition)
              await store.commit(linkChanges([{ ...record, customer_id: customer }]));
          expect({ order: label, ...(await stateOf(store, customer)) }).toEqual({
            order: label,
            ...IN_ORDER,
          });
        }
      },
    );

    it.skipIf(skip)(
      'ends the same when each partition is loaded a poll at a time, each poll one commit',
      async () => {
        // The loader commits the links of one poll of one partition together, in their order.
        let n = 0;
        for (const cut of everyCut(PARTITIONS)) {
          for (const order of interleavings(cut)) {
            const customer = `cust_polls_${n++}`;
            for (const poll of order)
              await store.commit(
                linkChanges(poll.map((record) => ({ ...record, customer_id: customer }))),
              );
            const label = order
              .map((poll) => poll.map((l) => `${l.source_id}→${l.user_id}`).join(' + '))
              .join(', ');
            expect({ order: label, ...(await stateOf(store, customer)) }).toEqual({
              order: label,
              ...IN_ORDER,
            });
          }
        }
        // 4 cuts of the first partition × 2 of the second, each loaded in every order.
        expect(n).toBe(182);
      },
    );
  },
);

/** Every way to cut each sequence into polls: runs of consecutive items, in order. */
function everyCut<T>(sequences: T[][]): T[][][][] {
  const cuts = (items: T[]): T[][][] =>
    items.length <= 1
      ? [items.length ? [items] : []]
      : cuts(items.slice(1)).flatMap((rest) => [
          [[items[0] as T], ...rest],
          [[items[0] as T, ...(rest[0] ?? [])], ...rest.slice(1)],
        ]);
  return sequences.reduce<T[][][][]>(
    (all, sequence) => all.flatMap((done) => cuts(sequence).map((cut) => [...done, cut])),
    [[]],
  );
}

function link(source: string, user: string): IdentityLink {
  return {
    customer_id: '',
    source_id: source,
    user_id: user,
    at: '2026-01-01T00:00:00.000Z',
    event_id: 'e',
  };
}

async function stateOf(store: StateStore, customer: string) {
  const refs = IDS.map((id) => ({ customer, id }));
  const [links, sources] = await Promise.all([store.links(refs), store.sources(refs)]);
  return {
    links: Object.fromEntries(IDS.map((id, i) => [id, links[i]])),
    sources: Object.fromEntries(IDS.map((id, i) => [id, [...(sources[i] ?? [])].sort()])),
  };
}

/** Every merge of the sequences that keeps each one's own order (partitions read independently). */
function interleavings<T>(sequences: T[][]): T[][] {
  const live = sequences.filter((sequence) => sequence.length > 0);
  if (!live.length) return [[]];
  return live.flatMap((sequence, i) => {
    const [first, ...rest] = sequence as [T, ...T[]];
    const others = live.map((s, j) => (j === i ? rest : s));
    return interleavings(others).map((tail) => [first, ...tail]);
  });
}
