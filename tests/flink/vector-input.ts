import type { PulseEvent, SegmentDefinition } from '@pulse/contract';
import { scopeVector, vectorCustomers } from '../processing/check-vector';
import type { Vector } from '../vectors/load';

/** One input step of the Flink vector runner: an event, or one customer's tick. */
type RunnerItem = { event: PulseEvent } | { tick: string; customer_id: string };

/** The input file of `dev.pulse.flink.vectors.VectorRunner`. */
export interface RunnerInput {
  segments: Record<string, SegmentDefinition[]>;
  items: RunnerItem[];
}

/**
 * Every vector in one stream, each with customers of its own (`flink<index>__<customer>`, as
 * the other engines' suites scope them), so one Flink job runs them all. A vector's tick moves
 * every customer of that vector (README rule 6), so it becomes one tick per customer.
 */
export function runnerInput(vectors: Vector[]): { input: RunnerInput; scoped: Vector[] } {
  const scoped = vectors.map((vector, index) => scopeVector(vector, `flink${index}`));
  const input: RunnerInput = { segments: {}, items: [] };
  for (const vector of scoped) {
    Object.assign(input.segments, vector.segments);
    const customers = [...vectorCustomers(vector)].sort();
    for (const item of vector.input) {
      if ('event' in item) input.items.push({ event: item.event });
      else
        for (const customer of customers)
          input.items.push({ tick: item.tick, customer_id: customer });
    }
  }
  return { input, scoped };
}
