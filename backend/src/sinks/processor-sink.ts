import type { PulseEvent, Sink } from '@pulse/contract';
import { groupCommit } from '../processor/group-commit';
import type { Processor } from '../processor/processor';
import { SinkUnavailableError } from './sink-error';

/**
 * The embedded default's sink (no Kafka): ingest hands each batch straight to the processor
 * and answers only after the warehouse write and the state commit. Batches arriving while one
 * is processed share the next processor batch. Dead letters and the client's dropped counts go
 * to `deadLetters` (a durable log), as they would go to `pulse.dlq`.
 */
export function createProcessorSink(processor: Processor, deadLetters: Sink): Sink {
  const submit = groupCommit<PulseEvent>(async (events) => {
    await processor.process(events);
  });
  return {
    async write(batch) {
      const rejected = batch.dead_letters.length > 0 || (batch.client_dropped ?? 0) > 0;
      try {
        await Promise.all([
          batch.events.length ? submit(batch.events) : undefined,
          rejected ? deadLetters.write({ ...batch, events: [] }) : undefined,
        ]);
      } catch (error) {
        throw new SinkUnavailableError(`processor could not make the batch durable: ${error}`, {
          cause: error,
        });
      }
    },
  };
}
