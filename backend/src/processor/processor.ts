import type { IdentityLink, PulseEvent, SegmentChange } from '@pulse/contract';
import type { StateStore } from '../state/state-store';
import type { Warehouse } from '../warehouse/warehouse';
import { planBatch, type StreamItem } from './plan-batch';

/** What one processed batch produced, once it is durable. */
export interface ProcessedBatch {
  events: number;
  /** `customer_id/event_id` of each event of the batch, in order (duplicates included). */
  eventKeys: string[];
  changes: SegmentChange[];
  links: IdentityLink[];
}

export interface ProcessorOptions {
  store: StateStore;
  warehouse: Warehouse;
  /**
   * Publishes a batch's changes and links (`pulse.segments`, `pulse.identity`) after the
   * warehouse write and before the state commit: a crash in between replays the batch, and
   * the replay publishes the same records again (at least once, same keys).
   */
  publish?: (batch: ProcessedBatch) => Promise<void>;
  /** Called after each batch is durable (live dashboards, triggers, metrics). */
  onBatch?: (batch: ProcessedBatch) => void;
}

/**
 * The processor core: one batch at a time, in order. For each batch it plans identity,
 * segments and changes against the state store, writes the warehouse, publishes, and then
 * commits the state. Every step is idempotent on event_id, so a batch replayed after a crash
 * at any point leaves the same state and the same counts.
 */
export interface Processor {
  /** Resolves once the events are in the warehouse and the state is committed. */
  process(events: PulseEvent[]): Promise<ProcessedBatch>;
  /** The wall clock moved to `at` (ms): members whose window slid past them leave. */
  tick(at: number): Promise<ProcessedBatch>;
  /** Events and ticks in stream order, as one batch. */
  run(items: StreamItem[]): Promise<ProcessedBatch>;
  /** Waits for the batches already handed in. */
  idle(): Promise<void>;
}

export function createProcessor(options: ProcessorOptions): Processor {
  const { store, warehouse } = options;
  let queue: Promise<unknown> = Promise.resolve();

  const runNow = async (items: StreamItem[]): Promise<ProcessedBatch> => {
    const events = items.flatMap((item) => ('event' in item ? [item.event] : []));
    // The events' insert does not depend on the plan: it runs while the plan is made.
    const stored = events.length ? warehouse.write({ events, links: [], changes: [] }) : undefined;
    const planned = planBatch(store, items, () => store.customersWithSegments());
    const [plan] = await Promise.all([planned, stored]);
    if (plan.links.length || plan.changes.length) {
      await warehouse.write({ events: [], links: plan.links, changes: plan.changes });
    }
    const batch = {
      events: events.length,
      eventKeys: events.map((event) => `${event.customer_id}/${event.event_id}`),
      changes: plan.changes,
      links: plan.links,
    };
    if (options.publish) await options.publish(batch);
    await store.commit(plan.state);
    options.onBatch?.(batch);
    return batch;
  };

  const run = (items: StreamItem[]): Promise<ProcessedBatch> => {
    const result = queue.then(() => runNow(items));
    queue = result.catch(() => undefined);
    return result;
  };

  return {
    process: (events) => run(events.map((event) => ({ event }))),
    tick: (at) => run([{ tick: at }]),
    run,
    idle: async () => {
      await queue;
    },
  };
}
