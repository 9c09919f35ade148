import type { IdentityLink, PulseEvent, SegmentChange } from '@pulse/contract';
import {
  emptyStateChanges,
  type OutboxEntry,
  type StateChanges,
  type StateStore,
} from '../state/state-store';
import type { Warehouse } from '../warehouse/warehouse';
import { failureKind } from '../errors/failure-kind';
import { planBatch, type StreamItem } from './plan-batch';

/** What one processed batch produced, once it is durable. */
export interface ProcessedBatch {
  events: number;
  /** `customer_id/event_id` of each event of the batch, in order (duplicates included). */
  eventKeys: string[];
  /** When the edge received each event (ms, `received_at`), in the order of `eventKeys`. */
  receivedAt: number[];
  changes: SegmentChange[];
  links: IdentityLink[];
}

export interface ProcessorOptions {
  store: StateStore;
  warehouse: Warehouse;
  /**
   * Publishes a batch's changes and links (`pulse.segments`, `pulse.identity`) after the state
   * commit, from the outbox: a crash before it is done publishes the same records again at the
   * next start (at least once, same keys and times).
   */
  publish?: (batch: ProcessedBatch) => Promise<void>;
  /** Called after each batch is durable (live dashboards, triggers, metrics). */
  onBatch?: (batch: ProcessedBatch) => void;
  /**
   * Keeps an outbox entry whose write-out failed deterministically MAX_WRITE_OUT_ATTEMPTS
   * times (the dead letters), so it can be cleared and the batches behind it go on. Without
   * it, such an entry is retried before every batch, for good.
   */
  park?: (entry: OutboxEntry, error: unknown) => Promise<void>;
  /**
   * Throws when this process may not change the state now (its processor lease is not held:
   * processor-lease.ts). Asked right before every batch, tick and announcement starts, those of
   * the consumer and those of a backfill alike. @default none: this process always may
   */
  fence?: () => void;
}

/**
 * Write-outs of one outbox entry that may fail deterministically (the warehouse or the broker
 * refuses its changes, not merely out of reach) before it is parked: the batch's own attempt
 * and two recoveries, so the intake's retries of the batch behind it (isolate-poison.ts) see
 * it parked before they would start isolating innocent records. Transient failures never count.
 */
export const MAX_WRITE_OUT_ATTEMPTS = 3;

/**
 * The processor core: one batch at a time, in order. For each batch it writes the events to
 * the warehouse while it plans identity, segments and changes against the state store, commits
 * the state with the changes in an outbox, then writes the changes out (warehouse, publish).
 * Every step is idempotent, so a batch replayed after a crash at any point leaves the same
 * state, the same counts and the same changes.
 */
export interface Processor {
  /**
   * Resolves once the events are in the warehouse and the state is committed. `withhold`
   * drops the changes it answers true for from what is written out (the state still moves):
   * a backfill uses it so that a profile already announced as a member does not enter twice.
   */
  process(
    events: PulseEvent[],
    withhold?: (change: SegmentChange) => boolean,
  ): Promise<ProcessedBatch>;
  /**
   * Writes out changes that no event caused (a redefined segment's leavers), in order with the
   * batches, through the same outbox: durable, published and heard by triggers once.
   */
  announce(changes: SegmentChange[]): Promise<ProcessedBatch>;
  /** The wall clock moved to `at` (ms): members whose window slid past them leave. */
  tick(at: number): Promise<ProcessedBatch>;
  /** Events and ticks in stream order, as one batch. */
  run(items: StreamItem[]): Promise<ProcessedBatch>;
  /** Waits for the batches already handed in. */
  idle(): Promise<void>;
  /** What the processor is doing now, for health checks and for finding a stuck step. */
  status(): ProcessorStatus;
}

export interface ProcessorStatus {
  step: 'idle' | 'recover' | 'plan' | 'commit' | 'write-out' | 'publish';
  /** When the step began (ms). */
  since: number;
  /** Batches (and ticks) done since the start, and waiting now. */
  done: number;
  waiting: number;
  /** Batches (and ticks) that failed since the start (each is retried or quarantined by its caller). */
  failed: number;
  /** Outbox entries parked since the start (see ProcessorOptions.park). */
  parked: number;
  /** Time spent in each step since the start (ms), the current step up to when it began. */
  spentMs: Record<ProcessorStatus['step'], number>;
}

export function createProcessor(options: ProcessorOptions): Processor {
  const { store, warehouse } = options;
  let sequence = 0;
  const state: ProcessorStatus = {
    step: 'idle',
    since: Date.now(),
    done: 0,
    waiting: 0,
    failed: 0,
    parked: 0,
    spentMs: { idle: 0, recover: 0, plan: 0, commit: 0, 'write-out': 0, publish: 0 },
  };
  const enter = (step: ProcessorStatus['step']) => {
    const now = Date.now();
    state.spentMs[state.step] += now - state.since;
    state.step = step;
    state.since = now;
  };
  const outboxId = () =>
    `${Date.now().toString().padStart(15, '0')}-${(sequence++).toString().padStart(9, '0')}-${Math.random().toString(36).slice(2, 8)}`;

  /** Writes an outbox entry's changes and links out, then forgets it. Idempotent. */
  const flush = async (entry: OutboxEntry, batch: ProcessedBatch) => {
    enter('write-out');
    await warehouse.write({ events: [], links: entry.links, changes: entry.changes });
    enter('publish');
    if (options.publish) await options.publish(batch);
    await store.clearOutbox(entry.id);
  };

  // Recovery runs before the first batch, and again before the next one after a write-out
  // failed (the warehouse or the broker may be down): nothing new goes out before the old.
  let recovered = false;
  /** Deterministic write-out failures per outbox entry id, while it is pending. */
  const writeOutFailures = new Map<string, number>();
  const noteWriteOutFailure = (entryId: string, error: unknown): number => {
    if (failureKind(error) === 'transient') return 0;
    const failures = (writeOutFailures.get(entryId) ?? 0) + 1;
    writeOutFailures.set(entryId, failures);
    return failures;
  };

  const runNow = async (
    items: StreamItem[],
    withhold?: (change: SegmentChange) => boolean,
  ): Promise<ProcessedBatch> => {
    const events = items.flatMap((item) => ('event' in item ? [item.event] : []));
    enter('plan');
    // The events' insert does not depend on the plan: it runs while the plan is made.
    const stored = events.length ? warehouse.write({ events, links: [], changes: [] }) : undefined;
    const planned = planBatch(store, items, () => store.customersWithSegments());
    const [plan] = await Promise.all([planned, stored]);
    return commitAndWriteOut(events, plan.state, {
      changes: withhold ? plan.changes.filter((change) => !withhold(change)) : plan.changes,
      links: plan.links,
    });
  };

  const commitAndWriteOut = async (
    events: PulseEvent[],
    stateChanges: StateChanges,
    output: Pick<ProcessedBatch, 'changes' | 'links'>,
  ): Promise<ProcessedBatch> => {
    const batch: ProcessedBatch = {
      events: events.length,
      eventKeys: events.map((event) => `${event.customer_id}/${event.event_id}`),
      receivedAt: events.map((event) => Date.parse(event.received_at)),
      ...output,
    };
    // Changes and links are committed with the state that caused them (an outbox), and only
    // then written out: a crash before the commit replays the batch and plans them again, a
    // crash after it finds them in the outbox at the next start. Either way each change is
    // written with one `at`, so the warehouse and consumers see it once (by key).
    const entry = { id: outboxId(), ...output };
    const hasOutput = entry.changes.length > 0 || entry.links.length > 0;
    enter('commit');
    await store.commit({ ...stateChanges, outbox: hasOutput ? entry : undefined });
    if (hasOutput) {
      try {
        await flush(entry, batch);
      } catch (error) {
        // Committed but not written out: the next batch recovers the outbox first.
        recovered = false;
        noteWriteOutFailure(entry.id, error);
        throw error;
      }
    } else if (options.publish) {
      enter('publish');
      await options.publish(batch);
    }
    options.onBatch?.(batch);
    return batch;
  };

  /**
   * Writes out what an earlier run committed but did not finish writing. An entry refused
   * deterministically MAX_WRITE_OUT_ATTEMPTS times is parked and cleared instead: one bad
   * entry must not stop every batch behind it.
   */
  const recover = async () => {
    enter('recover');
    for (const entry of await store.pendingOutbox()) {
      try {
        await flush(entry, {
          events: 0,
          eventKeys: [],
          receivedAt: [],
          changes: entry.changes,
          links: entry.links,
        });
        writeOutFailures.delete(entry.id);
      } catch (error) {
        const failures = noteWriteOutFailure(entry.id, error);
        if (!options.park || failures < MAX_WRITE_OUT_ATTEMPTS) throw error;
        await options.park(entry, error);
        await store.clearOutbox(entry.id);
        writeOutFailures.delete(entry.id);
        state.parked += 1;
      }
    }
  };

  let queue: Promise<unknown> = Promise.resolve();
  const queued = (work: () => Promise<ProcessedBatch>): Promise<ProcessedBatch> => {
    state.waiting += 1;
    const result = queue.then(async () => {
      state.waiting -= 1;
      try {
        options.fence?.();
        if (!recovered) {
          await recover();
          recovered = true;
        }
        return await work();
      } catch (error) {
        state.failed += 1;
        throw error;
      } finally {
        state.done += 1;
        enter('idle');
      }
    });
    queue = result.catch(() => undefined);
    return result;
  };

  const run = (items: StreamItem[]) => queued(() => runNow(items));

  return {
    process: (events, withhold) =>
      queued(() =>
        runNow(
          events.map((event) => ({ event })),
          withhold,
        ),
      ),
    announce: (changes) =>
      queued(() => commitAndWriteOut([], emptyStateChanges(), { changes, links: [] })),
    tick: (at) => run([{ tick: at }]),
    run,
    idle: async () => {
      await queue;
    },
    status: () => ({ ...state, spentMs: { ...state.spentMs } }),
  };
}
