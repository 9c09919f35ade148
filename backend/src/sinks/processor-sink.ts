import type { DeadLetter, PulseEvent, Sink } from '@pulse/contract';
import { groupCommitIsolating } from '../processor/isolate-poison';
import type { Processor } from '../processor/processor';
import { failureReason, quarantined } from '../processor/quarantine';
import { SinkUnavailableError } from './sink-error';

export interface ProcessorSinkOptions {
  /** A poison event went to the dead letters (after it was durable there). */
  onQuarantine?: (letter: DeadLetter) => void;
  /** Further tries of a batch that fails deterministically before it is split. @default 2 */
  poisonRetries?: number;
}

/**
 * The embedded default's sink (no Kafka): ingest hands each batch straight to the processor
 * and answers only after the warehouse write and the state commit. Batches arriving while one
 * is processed share the next processor batch. Dead letters and the client's dropped counts go
 * to `deadLetters` (a durable log), as they would go to `pulse.dlq`.
 *
 * Poison events (failing deterministically, see `failureKind`) are isolated and quarantined
 * to `deadLetters` like the Kafka consumer does, so the answer is 200 with everything durable
 * in the warehouse or the dead letters; a transient failure answers 503 and the client retries.
 */
export function createProcessorSink(
  processor: Processor,
  deadLetters: Sink,
  options: ProcessorSinkOptions = {},
): Sink {
  const submit = groupCommitIsolating<PulseEvent>(
    async (events) => void (await processor.process(events)),
    { retries: options.poisonRetries },
  );
  const processIsolating = async (events: PulseEvent[]): Promise<DeadLetter[]> =>
    (await submit(events)).map(({ item, error }) =>
      quarantined(item, null, undefined, failureReason(error)),
    );

  return {
    async write(batch) {
      const rejected = batch.dead_letters.length > 0 || (batch.client_dropped ?? 0) > 0;
      try {
        const [poison] = await Promise.all([
          batch.events.length ? processIsolating(batch.events) : [],
          rejected ? deadLetters.write({ ...batch, events: [] }) : undefined,
        ]);
        if (poison.length) {
          await deadLetters.write({
            customer_id: batch.customer_id,
            events: [],
            dead_letters: poison,
          });
          poison.forEach((letter) => options.onQuarantine?.(letter));
        }
      } catch (error) {
        throw new SinkUnavailableError(`processor could not make the batch durable: ${error}`, {
          cause: error,
        });
      }
    },
  };
}
