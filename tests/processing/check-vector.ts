import { expect } from 'vitest';
import type { PulseEvent, SegmentChange } from '@pulse/contract';
import { allMembers } from '../fixtures/processing';
import type { StateStore } from '../../backend/src/state/state-store';
import type { Warehouse } from '../../backend/src/warehouse/warehouse';
import type { Vector } from '../vectors/load';

/** One stream step for an engine under test: an event, or the wall clock moving to `tick` (ms). */
export type FeedItem = { event: PulseEvent } | { tick: number };

/** An engine under test: its state store, its warehouse, and how to feed it one step. */
export interface VectorHarness {
  store: StateStore;
  warehouse: Warehouse;
  /** Processes one step and resolves with the changes it emitted, once it is durable. */
  feed(item: FeedItem): Promise<SegmentChange[]>;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const EPOCH = new Date(0);
const END = new Date('2100-01-01T00:00:00.000Z');

/**
 * Gives a vector's customers ids of their own (`<scope>__<customer>`), so every vector can run
 * against one warehouse and one state store without seeing the others.
 */
export function scopeVector(vector: Vector, scope: string): Vector {
  const c = (customer: string) => `${scope}__${customer}`;
  const perCustomer = <T>(map: Record<string, T>) =>
    Object.fromEntries(Object.entries(map).map(([customer, value]) => [c(customer), value]));
  return {
    ...vector,
    segments: perCustomer(vector.segments),
    input: vector.input.map((item) =>
      'event' in item ? { event: { ...item.event, customer_id: c(item.event.customer_id) } } : item,
    ),
    expect: {
      identities: perCustomer(vector.expect.identities),
      memberships: perCustomer(vector.expect.memberships),
      changes: vector.expect.changes.map((change) => ({
        ...change,
        customer_id: c(change.customer_id),
      })),
      rollups: perCustomer(vector.expect.rollups),
      event_counts: perCustomer(vector.expect.event_counts),
    },
  };
}

/** The customers a vector names (in its segments or its expectations). */
export function vectorCustomers(vector: Vector): Set<string> {
  return new Set([
    ...Object.keys(vector.segments),
    ...Object.keys(vector.expect.event_counts),
    ...Object.keys(vector.expect.rollups),
  ]);
}

/** Defines a (scoped) vector's segments and feeds its input; resolves with its changes, in order. */
export async function feedVector(
  harness: Pick<VectorHarness, 'feed'> & { store: Pick<StateStore, 'putDefinition'> },
  vector: Vector,
  afterItem?: (index: number) => Promise<void>,
): Promise<SegmentChange[]> {
  for (const [customer, definitions] of Object.entries(vector.segments)) {
    for (const definition of definitions) await harness.store.putDefinition(customer, definition);
  }
  const customers = vectorCustomers(vector);
  const emitted: SegmentChange[] = [];
  for (const [index, item] of vector.input.entries()) {
    const changes = await harness.feed('event' in item ? item : { tick: Date.parse(item.tick) });
    // A tick moves every customer's clock: other vectors' customers may change too.
    emitted.push(...changes.filter((change) => customers.has(change.customer_id)));
    await afterItem?.(index);
  }
  return emitted;
}

const byKey = (a: SegmentChange, b: SegmentChange) =>
  cmp(a.at, b.at) || cmp(a.segment_id, b.segment_id) || cmp(a.id, b.id) || cmp(a.change, b.change);

/** Checks the changes a vector emitted and the identity and segment state it left. */
export async function verifyState(
  store: StateStore,
  vector: Vector,
  emitted: SegmentChange[],
): Promise<void> {
  const label = (what: string) => `${vector.name}: ${what}`;
  expect(emitted, label('changes, in emission order')).toEqual(vector.expect.changes);
  for (const customer of vectorCustomers(vector)) {
    const identities = vector.expect.identities[customer] ?? {};
    const sources = Object.keys(identities);
    const users = await store.links(sources.map((id) => ({ customer, id })));
    expect(
      Object.fromEntries(sources.map((s, i) => [s, users[i]])),
      label('state identities'),
    ).toEqual(identities);
    for (const definition of vector.segments[customer] ?? []) {
      // Pages of two, so the cursor is exercised.
      const members = await allMembers(store, customer, definition.id, 2);
      const want = vector.expect.memberships[customer]?.[definition.id] ?? [];
      expect(members.sort(), label(`members of ${definition.id}`)).toEqual([...want].sort());
    }
  }
}

/**
 * Checks what a vector left in the warehouse. `later` are changes its customers went through
 * after the vector ended (a later vector's tick moves every customer's clock).
 */
export async function verifyWarehouse(
  warehouse: Warehouse,
  vector: Vector,
  later: SegmentChange[] = [],
): Promise<void> {
  const label = (what: string) => `${vector.name}: ${what}`;
  for (const customer of vectorCustomers(vector)) {
    const stored = await warehouse.identities(customer);
    const latest = new Map(stored.map((link) => [link.source_id, link.user_id]));
    expect(Object.fromEntries(latest), label('warehouse identities')).toEqual(
      vector.expect.identities[customer] ?? {},
    );
    const changes = [...vector.expect.changes, ...later].filter((c) => c.customer_id === customer);
    expect(await warehouse.segmentChanges(customer), label('warehouse changes')).toEqual(
      changes.sort(byKey),
    );
    expect(await warehouse.rollups(customer, EPOCH, END), label('rollups')).toEqual(
      vector.expect.rollups[customer] ?? [],
    );
    expect(await warehouse.eventCount(customer), label('event count')).toBe(
      vector.expect.event_counts[customer] ?? 0,
    );
  }
}

/** Runs a (scoped) vector through an engine and checks every expectation it states. */
export async function checkVector(harness: VectorHarness, vector: Vector): Promise<void> {
  const emitted = await feedVector(harness, vector);
  await verifyState(harness.store, vector, emitted);
  await verifyWarehouse(harness.warehouse, vector);
}
