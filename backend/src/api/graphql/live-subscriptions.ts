import type { SegmentChange } from '@pulse/contract';
import type { ProcessedBatch } from '../../processor/processor';
import type { ResolverDeps } from './dashboard-context';
import { eventsByIds, type DashboardEvent } from './event-queries';
import { lastFiveMinutes } from './profile-queries';
import { graphqlError } from './graphql-errors';
import { liveChannel } from './live-channel';
import { sharedRead } from './shared-read';

/** Past this many events or changes waiting for one client, its subscription ends. */
const MAX_WAITING = 10_000;
/** Events per `liveEvents` message; more wait for the next message. */
const EVENTS_PER_MESSAGE = 1000;
/**
 * Live subscriptions one customer may hold open at once. Each reads the warehouse after every
 * batch of the customer, so their number is a cost every tenant shares.
 */
export const MAX_SUBSCRIPTIONS_PER_CUSTOMER = 20;

/** Open subscriptions per customer, per backend (its live feed). */
const openByFeed = new WeakMap<object, Map<string, number>>();

/** Live subscriptions open now on a backend (its live feed), every customer together. */
export function openSubscriptions(live: object): number {
  let total = 0;
  for (const count of openByFeed.get(live)?.values() ?? []) total += count;
  return total;
}

/** Counts a new subscription of `customerId`, or refuses it past the budget; returns its release. */
function claimSubscription(deps: ResolverDeps, customerId: string): () => void {
  let open = openByFeed.get(deps.live);
  if (!open) openByFeed.set(deps.live, (open = new Map()));
  const count = open.get(customerId) ?? 0;
  if (count >= MAX_SUBSCRIPTIONS_PER_CUSTOMER) {
    throw graphqlError(
      'too_many_subscriptions',
      `customer ${customerId} has ${count} live subscriptions open, the most it may; close one first`,
      { http: true },
    );
  }
  open.set(customerId, count + 1);
  return () => {
    const left = (open.get(customerId) ?? 1) - 1;
    if (left > 0) open.set(customerId, left);
    else open.delete(customerId);
  };
}

/** The distinct event_ids of `customerId` in a batch (its eventKeys are `customer/event_id`). */
function eventIdsOf(batch: ProcessedBatch, customerId: string): string[] {
  const prefix = `${customerId}/`;
  const ids = new Set<string>();
  for (const key of batch.eventKeys) if (key.startsWith(prefix)) ids.add(key.slice(prefix.length));
  return [...ids];
}

/** Listens to the live feed for the batches with something of `customerId`. */
const listenFor =
  <T>(deps: ResolverDeps, pick: (batch: ProcessedBatch) => T | null) =>
  (push: (item: T) => void) =>
    deps.live.subscribe((batch) => {
      const item = pick(batch);
      if (item !== null) push(item);
    });

export interface EventCounts {
  at: number;
  events: number;
  lastFiveMinutes: number;
  liveVisitors: number;
}

/** `eventCounts`: after each batch with events of the customer, fresh counts from the warehouse. */
export function eventCountsOf(deps: ResolverDeps, customerId: string) {
  const onFinish = claimSubscription(deps, customerId);
  return liveChannel<Set<string>, EventCounts>({
    onFinish,
    listen: listenFor(deps, (batch) => {
      const ids = eventIdsOf(batch, customerId);
      return ids.length ? new Set(ids) : null;
    }),
    merge: (waiting, next) => new Set([...waiting, ...next]),
    size: (ids) => ids.size,
    maxSize: MAX_WAITING,
    async toMessage(ids) {
      const recent = await sharedRead(deps.live, `counts:${customerId}`, () =>
        lastFiveMinutes(deps, customerId),
      );
      return {
        at: deps.now(),
        events: ids.size,
        lastFiveMinutes: recent.events,
        liveVisitors: recent.visitors,
      };
    },
  });
}

/** `liveEvents`: the customer's events of each batch, read back from the warehouse by id. */
export function liveEventsOf(deps: ResolverDeps, customerId: string) {
  const onFinish = claimSubscription(deps, customerId);
  return liveChannel<string[], DashboardEvent[]>({
    onFinish,
    listen: listenFor(deps, (batch) => {
      const ids = eventIdsOf(batch, customerId);
      return ids.length ? ids : null;
    }),
    merge: (waiting, next) => [...waiting, ...next],
    split: (ids) =>
      ids.length > EVENTS_PER_MESSAGE
        ? [ids.slice(0, EVENTS_PER_MESSAGE), ids.slice(EVENTS_PER_MESSAGE)]
        : [ids, null],
    size: (ids) => ids.length,
    maxSize: MAX_WAITING,
    toMessage: (ids) =>
      sharedRead(deps.live, `events:${customerId}:${ids.join('\n')}`, () =>
        eventsByIds(deps, customerId, ids),
      ),
  });
}

/** The GraphQL `SegmentChange`. */
export interface SegmentChangeMessage {
  segmentId: string;
  id: string;
  change: SegmentChange['change'];
  at: number;
  reason: SegmentChange['reason'];
}

/** `segmentChanges`: the customer's segment changes of each batch. */
export function segmentChangesOf(deps: ResolverDeps, customerId: string) {
  const onFinish = claimSubscription(deps, customerId);
  return liveChannel<SegmentChange[], SegmentChangeMessage[]>({
    onFinish,
    listen: listenFor(deps, (batch) => {
      const mine = batch.changes.filter((change) => change.customer_id === customerId);
      return mine.length ? mine : null;
    }),
    merge: (waiting, next) => [...waiting, ...next],
    size: (changes) => changes.length,
    maxSize: MAX_WAITING,
    toMessage: (changes) =>
      changes.map((change) => ({
        segmentId: change.segment_id,
        id: change.id,
        change: change.change,
        at: Date.parse(change.at),
        reason: change.reason,
      })),
  });
}
