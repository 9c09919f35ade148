import { createRequire } from 'node:module';

/**
 * Reads of transactional topics that return exactly what the transactions committed.
 *
 * kafkajs 2.2.4 (the last release) filters the aborted records of a read_committed fetch
 * wrongly (`consumer/filterAbortedMessages.js`): it takes the fetch's list of aborted
 * transactions as ordered by first offset and switches on at most one of them per record it
 * passes. Kafka orders that list by where each transaction ended, so records of aborted
 * transactions reach the application (seen against a real broker:
 * `backend/test/kafka-committed-reads.test.ts`), and a producer switched on after its abort
 * marker would hide its next, committed transaction. Flink's sinks are several transactional
 * producers whose transactions a restart aborts, and the loader must load only what their
 * checkpoints committed.
 *
 * `markAbortedRecords` is Kafka's own rule (the Java consumer's `CompletedFetch`): walk the
 * records in offset order; at each record, every aborted transaction whose
 * first offset is at or below it switches its producer on; the producer's ABORT marker
 * switches it off; a transactional record of a producer that is on is aborted. Aborted
 * records are not removed but marked as control records, so kafkajs drops them from what it
 * hands the application and still counts them when it moves the fetch offset on.
 * `readCommittedCorrectly` applies it to every fetch response before kafkajs sees it. It wraps
 * a kafkajs internal (`src/broker`), so backend/package.json pins kafkajs exactly, and
 * `backend/test/kafka-committed-reads.test.ts` fails if an upgrade moves it.
 */

/** The part of a kafkajs fetched record this rule reads. */
export interface FetchedRecord {
  offset: string;
  key: Buffer | null;
  isControlRecord: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

/** One entry of a fetch response's aborted transactions (Kafka's Fetch API). */
export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

/** A control record's key is its version (int16) and type (int16): 0 is ABORT, 1 COMMIT. */
const isAbortMarker = (record: FetchedRecord) =>
  record.isControlRecord &&
  record.key !== null &&
  record.key.length >= 4 &&
  record.key.readInt16BE(2) === 0;

/** Marks the records of aborted transactions as control records (see the module comment). */
export function markAbortedRecords<R extends FetchedRecord>(
  records: R[],
  aborted: readonly AbortedTransaction[] | undefined,
): R[] {
  if (!aborted?.length) return records;
  const pending = [...aborted].sort((a, b) => compareOffsets(a.firstOffset, b.firstOffset));
  const abortedProducers = new Set<string>();
  return records.map((record) => {
    const producer = String(record.batchContext.producerId);
    while (pending.length && compareOffsets(pending[0]!.firstOffset, record.offset) <= 0) {
      abortedProducers.add(String(pending.shift()!.producerId));
    }
    if (isAbortMarker(record)) {
      abortedProducers.delete(producer);
      return record;
    }
    const isAborted =
      !record.isControlRecord &&
      record.batchContext.inTransaction &&
      abortedProducers.has(producer);
    if (!isAborted) return record;
    return { ...record, isControlRecord: true };
  });
}

const compareOffsets = (a: string, b: string) => {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

interface FetchPartition {
  messages?: FetchedRecord[];
  abortedTransactions?: AbortedTransaction[];
}
interface FetchResponse {
  responses?: Array<{ partitions?: FetchPartition[] }>;
}
type Fetch = (this: unknown, request: unknown) => Promise<FetchResponse>;
interface BrokerClass {
  prototype: { fetch: Fetch & { committedReads?: true } };
}

/**
 * Puts `markAbortedRecords` between every kafkajs broker's fetch and its consumers, once per
 * process. The broker class is kafkajs' own module, so it holds whichever module imported
 * kafkajs first. It empties each response's aborted list, so kafkajs' filter has nothing to do.
 */
export function readCommittedCorrectly(): void {
  const require = createRequire(import.meta.url);
  const broker = require('kafkajs/src/broker/index.js') as BrokerClass;
  const fetch = broker.prototype.fetch;
  if (fetch.committedReads) return;
  const fixed: Fetch & { committedReads?: true } = async function (this: unknown, request) {
    const response = await fetch.call(this, request);
    for (const topic of response.responses ?? []) {
      for (const partition of topic.partitions ?? []) {
        if (!partition.abortedTransactions?.length || !partition.messages) continue;
        partition.messages = markAbortedRecords(partition.messages, partition.abortedTransactions);
        partition.abortedTransactions = [];
      }
    }
    return response;
  };
  fixed.committedReads = true;
  broker.prototype.fetch = fixed;
}
