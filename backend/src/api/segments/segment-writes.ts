import type { SegmentDefinition } from '@pulse/contract';
import { ApiError } from '../../errors/api-error';
import type { ApiContext } from '../api-context';
import { backfillSegment, type BackfillResult } from './backfill-segment';
import { allMembers } from './member-page';
import type { SegmentWriteQueue } from './one-at-a-time';
import { HANDOFF_TIMEOUT_MS } from '../processing-handoff';

/**
 * The store's document kind of a segment write that is not finished yet; the document's id is
 * the segment's. It outlives the request: a write cut short (the backend stopped or failed
 * mid-backfill, or the Flink job did not answer in time: 503 `unavailable`) is finished later
 * by `finishSegmentWrites`, history included, instead of being left half applied.
 */
export const UNFINISHED_WRITE_KIND = 'segment-write';

/**
 * The document kind of the lease a running write holds on its segment (`{ until }`, ms),
 * renewed while it runs and removed when it ends: the backend that finishes unfinished writes
 * leaves a leased one alone, as it is running (in this process's API, or in a backend that
 * stopped less than a lease ago).
 */
export const WRITE_LEASE_KIND = 'segment-write-lease';

/** How long a write's lease lasts unless renewed (it is renewed every third of it). */
export const WRITE_LEASE_MS = 60_000;

/** What an unfinished write was: a definition to fill with its history, or a deletion. */
export type UnfinishedWrite = (
  | {
      kind: 'define';
      /**
       * A redefinition by the TypeScript processor: the members announced under the rule
       * before, read before it starts (see backfillSegment).
       */
      previous?: string[];
    }
  | { kind: 'delete' }
) & {
  /**
   * When an API that does not process handed the write over (ms, ../processing-handoff.ts):
   * the periodic finisher leaves it to the handoff until the API stops waiting.
   */
  handed?: number;
};

/** What finishing a write did: nothing, a deletion, or a definition filled with its history. */
export type FinishedWrite =
  { kind: 'define'; backfill: BackfillResult } | { kind: 'delete' } | null;

type Context = Pick<
  ApiContext,
  'store' | 'warehouse' | 'processor' | 'now' | 'engineDefinitions' | 'handoff'
>;

/**
 * Finishes the write elsewhere when this process does not process now (../processing-handoff.ts):
 * the process that does answers; undefined when this one does.
 */
const finishElsewhere = (
  context: Context,
  customer: string,
  id: string,
  only?: UnfinishedWrite['kind'],
): Promise<FinishedWrite> | undefined =>
  context.handoff && !context.handoff.here()
    ? (context.handoff.ask(
        { kind: 'segment-write', customer, id, only },
        {
          what: `the write of segment ${id}`,
          then: 'the processor finishes it, history included, once it runs',
        },
      ) as Promise<FinishedWrite>)
    : undefined;
type Store = ApiContext['store'];

const record = (store: Store, customer: string, id: string, write: UnfinishedWrite) =>
  store.putDocument(customer, UNFINISHED_WRITE_KIND, id, write);
const done = (store: Store, customer: string, id: string) =>
  store.deleteDocument(customer, UNFINISHED_WRITE_KIND, id);

/** Runs `work` holding the lease on a segment's write, and removes the lease after it. */
async function leased<T>(
  context: Context,
  customer: string,
  id: string,
  work: () => Promise<T>,
): Promise<T> {
  const { store } = context;
  const renew = () =>
    store.putDocument(customer, WRITE_LEASE_KIND, id, { until: context.now() + WRITE_LEASE_MS });
  let renewing = renew();
  await renewing;
  // A failed renewal is not the write's failure: at worst the lease lapses and another backend
  // finishes the write as well, which announces nothing twice.
  const timer = setInterval(() => {
    renewing = renewing.then(renew).catch(() => undefined);
  }, WRITE_LEASE_MS / 3);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    await renewing;
    await store.deleteDocument(customer, WRITE_LEASE_KIND, id).catch(() => undefined);
  }
}

/**
 * Stores a new or redefined segment and fills it with its history, recorded as unfinished from
 * before anything is stored until all of it is in. Callers run it in the customer's queue.
 *
 * In a process that does not process (an ingest task, a standby), the write is recorded and
 * the definition stored here, and the rest is handed to the process that processes
 * (../processing-handoff.ts), which finishes it as it finishes any unfinished write: the
 * members it holds when it starts are those announced (`previous` is not needed).
 *
 * - With the TypeScript processor, the history goes through the processor (backfill-segment.ts).
 *   A redefinition passes the members announced under the old rule (`previous`, read once the
 *   processor is idle): the old rule's state is dropped once the new rule is stored, and those
 *   members do not enter again, while the others exit.
 * - With an engine that keeps definitions in its own state (the Flink job), the definition and
 *   its history are handed to it (flink-definitions.ts); it sets the old members aside itself.
 */
export function defineSegment(
  context: Context,
  customer: string,
  definition: SegmentDefinition,
  previous?: ReadonlySet<string>,
): Promise<BackfillResult> {
  const { store, engineDefinitions: engine } = context;
  if (context.handoff && !context.handoff.here()) return handOver(context, customer, definition);
  return leased(context, customer, definition.id, async () => {
    if (engine) return engineDefine(context, customer, definition);
    const write: UnfinishedWrite = previous
      ? { kind: 'define', previous: [...previous] }
      : { kind: 'define' };
    await record(store, customer, definition.id, write);
    await store.putDefinition(customer, definition);
    // The new rule is stored before the old rule's state goes, so the customer stays among
    // those with segments, where finishSegmentWrites looks.
    if (previous) await store.clearSegment(customer, definition.id);
    const backfill = await backfillSegment(context, customer, definition, previous);
    await done(store, customer, definition.id);
    return backfill;
  });
}

async function handOver(
  context: Context,
  customer: string,
  definition: SegmentDefinition,
): Promise<BackfillResult> {
  const { store } = context;
  await record(store, customer, definition.id, { kind: 'define', handed: context.now() });
  await store.putDefinition(customer, definition);
  const finished = await finishElsewhere(context, customer, definition.id, 'define');
  if (finished?.kind !== 'define') {
    // Another write of the segment (from another API process) finished it first.
    const message = `segment ${definition.id} was written by another request meanwhile; read it, or send this one again`;
    throw new ApiError('unavailable', message);
  }
  return finished.backfill;
}

async function engineDefine(
  context: Context,
  customer: string,
  definition: SegmentDefinition,
): Promise<BackfillResult> {
  const { store, engineDefinitions: engine } = context;
  await record(store, customer, definition.id, { kind: 'define' });
  await store.putDefinition(customer, definition);
  const backfill = await engine!.define(customer, definition);
  await done(store, customer, definition.id);
  return backfill;
}

/**
 * Deletes a segment. An engine with state of its own drops it first, then the store does (so
 * nothing the loader writes afterwards names it), kept as unfinished until both are done. With
 * the TypeScript processor the store's delete is the whole of it: a write of the segment left
 * unfinished is forgotten first, so nothing finishes it back into existence.
 */
export async function deleteSegment(
  context: Context,
  customer: string,
  segmentId: string,
): Promise<void> {
  const { store, engineDefinitions: engine } = context;
  if (context.handoff && !context.handoff.here()) {
    await record(store, customer, segmentId, { kind: 'delete', handed: context.now() });
    await finishElsewhere(context, customer, segmentId, 'delete');
    return;
  }
  if (!engine) return storeDelete(store, customer, segmentId);
  await leased(context, customer, segmentId, () => engineDelete(context, customer, segmentId));
}

/** The TS processor's delete: a write left unfinished is forgotten first (never finished back). */
async function storeDelete(store: Store, customer: string, segmentId: string) {
  await done(store, customer, segmentId);
  await store.deleteDefinition(customer, segmentId);
}

async function engineDelete(context: Context, customer: string, segmentId: string) {
  const { store, engineDefinitions: engine } = context;
  await record(store, customer, segmentId, { kind: 'delete' });
  await engine!.remove(customer, segmentId);
  await store.deleteDefinition(customer, segmentId);
  await done(store, customer, segmentId);
}

/**
 * Finishes the unfinished write of one segment, if there is one and no other backend holds its
 * lease; callers run it in the customer's queue. Resolves with what it did: nothing (`null`),
 * a deletion, or a definition filled with its history. `only: 'define'` leaves a deletion
 * alone (a request that stores the segment again must not finish deleting it).
 *
 * A define is done again with the definition stored now, history included, and nothing is
 * announced twice:
 * - The TypeScript processor starts the segment over, as a redefinition does, passing as
 *   announced the members recorded as previous and those it holds now (members of the old
 *   rule if the write stopped before clearing them, or those the backfill had announced):
 *   they do not enter again, and those the rule does not keep exit. A define cut short before
 *   its rule was stored thus applies the stored rule again, which changes nothing.
 * - The Flink job gets the definition with a new version and sets aside the members of every
 *   version before it.
 * A define cut short before a new segment was stored (the request failed) is forgotten.
 *
 * In a process that does not process, the process that does finishes it, and answers.
 */
export async function finishSegmentWrite(
  context: Context,
  customer: string,
  id: string,
  only?: UnfinishedWrite['kind'],
): Promise<FinishedWrite> {
  const { store, engineDefinitions: engine } = context;
  const elsewhere = finishElsewhere(context, customer, id, only);
  if (elsewhere) return elsewhere;
  const read = async <T>(kind: string) =>
    (await store.getDocument(customer, kind, id)) as T | undefined;
  const write = await read<UnfinishedWrite>(UNFINISHED_WRITE_KIND);
  if (!write || (only && write.kind !== only)) return null;
  const lease = await read<{ until: number }>(WRITE_LEASE_KIND);
  if (lease && lease.until > context.now()) return null;
  return leased(context, customer, id, async () => {
    if (write.kind === 'delete') {
      // (Recorded by the Flink engine; a backend switched to the TS processor since deletes
      // from the store alone.)
      if (engine) await engineDelete(context, customer, id);
      else {
        await context.processor.idle();
        await storeDelete(store, customer, id);
      }
      return { kind: 'delete' as const };
    }
    const [definitions = []] = await store.definitions([customer]);
    const definition = definitions.find((d) => d.id === id);
    if (!definition) {
      await done(store, customer, id);
      return null;
    }
    if (engine)
      return { kind: 'define', backfill: await engineDefine(context, customer, definition) };
    await context.processor.idle();
    const announced = new Set([
      ...(write.previous ?? []),
      ...(await allMembers(store, customer, id)),
    ]);
    await store.clearSegment(customer, id);
    const backfill = await backfillSegment(context, customer, definition, announced);
    await done(store, customer, id);
    return { kind: 'define', backfill };
  });
}

/**
 * Finishes every unfinished write (finishSegmentWrite), each in its customer's queue (behind
 * the API's writes of that customer). Resolves with the segments finished as
 * `customer/segment`, and rejects, once it has tried them all, with an AggregateError of those
 * that failed (the job still does not answer): they wait for the next run, and one that keeps
 * failing does not hold back the others.
 *
 * An unfinished write's definition is in the store from before the write changes any state
 * until the write is finished, so its customer is among those with segments. A deletion
 * removes the record first (TypeScript processor) or records its own (Flink, or one handed
 * over). A write handed over by an API that still waits for it is left to that API's request
 * (../processing-handoff.ts) for HANDOFF_TIMEOUT_MS. Run only where the processing runs.
 */
export async function finishSegmentWrites(
  context: Context,
  queue: SegmentWriteQueue,
): Promise<string[]> {
  const finished: string[] = [];
  const failed: string[] = [];
  const errors: unknown[] = [];
  for (const customer of await context.store.customersWithSegments()) {
    for (const { id, value } of await context.store.listDocuments(
      customer,
      UNFINISHED_WRITE_KIND,
    )) {
      // Handed over by an API that still waits: the handoff's request finishes it.
      const { handed } = value as UnfinishedWrite;
      if (handed !== undefined && handed + HANDOFF_TIMEOUT_MS > context.now()) continue;
      try {
        if (await queue(customer, () => finishSegmentWrite(context, customer, id)))
          finished.push(`${customer}/${id}`);
      } catch (error) {
        failed.push(`${customer}/${id}`);
        errors.push(error);
      }
    }
  }
  if (errors.length) {
    const message = `unfinished segment writes not finished: ${failed.join(', ')}; finished: ${finished.join(', ') || 'none'}`;
    throw new AggregateError(errors, message);
  }
  return finished;
}
