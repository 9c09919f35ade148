import type { DeadLetter, PulseEvent, Sink, SinkBatch } from '@pulse/contract';

/** A Sink for tests: keeps every batch it made "durable", or fails on demand. */
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
      // A deep copy: what the sink holds must not change if the edge touched its objects later.
      batches.push(structuredClone(batch));
      return Promise.resolve();
    },
  };
}
