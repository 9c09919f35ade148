import type { SegmentDefinition } from '@pulse/contract';
import type { FlinkDefinitions } from '../../flink/flink-definitions';
import type { StateStore } from '../../state/state-store';
import type { BackfillResult } from './backfill-segment';
import type { SegmentWriteQueue } from './one-at-a-time';

/**
 * The store's document kind of a segment write handed to an engine that keeps definitions in
 * its own state (the Flink job), and not yet finished there; the document's id is the
 * segment's. It outlives the request: a write the job did not answer in time (503
 * `unavailable`: the job is down) or a backend stopped mid-write is finished later by
 * `finishEngineWrites`, history included, instead of being left half applied.
 */
export const UNFINISHED_WRITE_KIND = 'segment-write';

/** What an unfinished write was: the stored definition with its history, or a deletion. */
export interface UnfinishedWrite {
  kind: 'define' | 'delete';
}

type Store = Pick<
  StateStore,
  | 'definitions'
  | 'putDefinition'
  | 'deleteDefinition'
  | 'customersWithSegments'
  | 'putDocument'
  | 'listDocuments'
  | 'deleteDocument'
>;

/**
 * Stores a segment's definition and hands it to the job with its history
 * (flink-definitions.ts), recorded as unfinished from before it is stored until the job has
 * applied all of it. Callers run it in the customer's queue.
 */
export async function engineDefine(
  store: Store,
  engine: FlinkDefinitions,
  customer: string,
  definition: SegmentDefinition,
): Promise<BackfillResult> {
  const write: UnfinishedWrite = { kind: 'define' };
  await store.putDocument(customer, UNFINISHED_WRITE_KIND, definition.id, write);
  await store.putDefinition(customer, definition);
  const backfill = await engine.define(customer, definition);
  await store.deleteDocument(customer, UNFINISHED_WRITE_KIND, definition.id);
  return backfill;
}

/**
 * Deletes a segment from the job, then from the store (so nothing the loader writes afterwards
 * names it), kept as unfinished until both are done.
 */
export async function engineDelete(
  store: Store,
  engine: FlinkDefinitions,
  customer: string,
  segmentId: string,
): Promise<void> {
  const write: UnfinishedWrite = { kind: 'delete' };
  await store.putDocument(customer, UNFINISHED_WRITE_KIND, segmentId, write);
  await engine.remove(customer, segmentId);
  await store.deleteDefinition(customer, segmentId);
  await store.deleteDocument(customer, UNFINISHED_WRITE_KIND, segmentId);
}

/**
 * Finishes every unfinished write, each in its customer's queue (behind the API's writes of
 * that customer), and resolves with the segments finished as `customer/segment`. A define is
 * done again with the definition stored now and a new version: the job sets aside the members
 * of every version before it, so nothing is announced twice, and the history is replayed. The
 * first failure (the job still does not answer) rejects; the rest wait for the next run.
 *
 * An unfinished write's definition stays in the store until the write is finished, so its
 * customer is among those with segments. A define cut short before its definition was stored
 * (the request failed) is forgotten: for a new segment there is nothing to finish, for a
 * redefinition the rule stored before it is applied again, which changes nothing.
 */
export async function finishEngineWrites(
  store: Store,
  engine: FlinkDefinitions,
  queue: SegmentWriteQueue,
): Promise<string[]> {
  const finished: string[] = [];
  for (const customer of await store.customersWithSegments()) {
    for (const { id } of await store.listDocuments(customer, UNFINISHED_WRITE_KIND)) {
      await queue(customer, async () => {
        // Read again in the queue: a request of the API may have finished it meanwhile.
        const documents = await store.listDocuments(customer, UNFINISHED_WRITE_KIND);
        const write = documents.find((document) => document.id === id)?.value as
          UnfinishedWrite | undefined;
        if (!write) return;
        if (write.kind === 'delete') {
          await engineDelete(store, engine, customer, id);
        } else {
          const [definitions = []] = await store.definitions([customer]);
          const definition = definitions.find((d) => d.id === id);
          if (definition) await engineDefine(store, engine, customer, definition);
          else await store.deleteDocument(customer, UNFINISHED_WRITE_KIND, id);
        }
        finished.push(`${customer}/${id}`);
      });
    }
  }
  return finished;
}
