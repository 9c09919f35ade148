import type { DeadLetter, PulseEvent, Sink, SinkBatch } from '@pulse/contract';
import { describeIssues, sinkBatchSchema } from '@pulse/contract/schema';

/**
 * A Sink for tests: keeps every batch it made "durable", or fails on demand. It holds each
 * batch to the contract's `sinkBatchSchema`, as backend ingest does: a batch ingest would refuse
 * fails the write (and so the request, with a 503), never passes quietly.
 */
export interface RecordingSink extends Sink {
  readonly batches: SinkBatch[];
  events(): PulseEvent[];
  deadLetters(): DeadLetter[];
  /** While true, every write rejects (as a broker or ingest outage would). */
  failing: boolean;
}

export function createRecordingSink(): RecordingSink {
  const batches: SinkBatch[] = [];
  return {
    batches,
    failing: false,
    events: () => batches.flatMap((batch) => batch.events),
    deadLetters: () => batches.flatMap((batch) => batch.dead_letters),
    write(batch) {
      if (this.failing) return Promise.reject(new Error('sink is down'));
      const check = sinkBatchSchema.safeParse(batch);
      if (!check.success) {
        return Promise.reject(
          new Error(`batch breaks the contract: ${describeIssues(check.error)}`),
        );
      }
      // A deep copy: what the sink holds must not change if the edge touched its objects later.
      batches.push(structuredClone(batch));
      return Promise.resolve();
    },
  };
}
