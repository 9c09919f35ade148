import { appendFileSync, mkdirSync } from 'node:fs';
import type { Collector } from '../collector/collector';

/** Wire duplicates of a scenario: deliveries beyond the first of each event_id. */
export function duplicatesOf(collector: Collector, ids: Iterable<string>): number {
  let dups = 0;
  for (const id of ids) dups += Math.max(0, (collector.counts.get(id) ?? 0) - 1);
  return dups;
}

/** Prints and records the duplicates a scenario caused (test-results/duplicates.jsonl). */
export function reportDuplicates(scenario: string, duplicates: number, events: number): void {
  console.log(`[dup-report] ${scenario}: ${duplicates} duplicates of ${events} events`);
  mkdirSync('test-results', { recursive: true });
  appendFileSync(
    'test-results/duplicates.jsonl',
    `${JSON.stringify({ scenario, duplicates, events, at: new Date().toISOString() })}\n`,
  );
}
