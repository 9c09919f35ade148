import { writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { join } from 'node:path';
import type { IdentityLink, PulseEvent, SegmentChange, SegmentDefinition } from '@pulse/contract';
import { TOPICS } from '../../backend/src/kafka/topics';
import type { KafkaSink } from '../../backend/src/sinks/kafka-sink';
import { readCommitted, runFlinkMain } from '../services/flink-job';

/** The stream of the Flink failure tests (kafka-restart, cluster-failover). */
export const CUSTOMERS = ['fr_c0', 'fr_c1', 'fr_c2', 'fr_c3'];
export const SEGMENTS: SegmentDefinition[] = [
  {
    id: 'pricing_minute',
    rule: {
      event_type: 'page_view',
      where: { 'properties.path': '/pricing' },
      min_count: 3,
      window: '1m',
    },
  },
  { id: 'active', rule: { event_type: 'page_view', min_count: 1, window: '1m' } },
];
export const DEFINITIONS = Object.fromEntries(CUSTOMERS.map((c) => [c, SEGMENTS]));
const BASE = Date.parse('2025-03-01T00:00:00.000Z');

/**
 * A stream with enters, window exits (1-minute windows on event time), links and merges: four
 * customers, five visitors each, some of whom log in as one of three users after the first third.
 * Page views only, so every event is in one topic; on topics of one partition the job reads the
 * events in exactly the order they were produced.
 */
export function restartStream(count: number): PulseEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const visitor = (i * 7) % 10;
    // Half a second apart, with a five-minute pause every 250 events: every window empties.
    const timestamp = new Date(BASE + i * 500 + Math.floor(i / 250) * 300_000).toISOString();
    const path = i % 3 === 0 ? '/docs' : '/pricing';
    return {
      event_id: `fr-${i}`,
      customer_id: CUSTOMERS[i % CUSTOMERS.length]!,
      visitor_id: `v${visitor}`,
      user_id: i > count / 3 && visitor < 5 ? `u${visitor % 3}` : null,
      session_id: `s${visitor}`,
      event_type: 'page_view',
      event_name: path,
      properties: { path },
      previous_id: null,
      context: {},
      timestamp,
      original_timestamp: timestamp,
      sent_at: timestamp,
      received_at: timestamp,
    };
  });
}

/** An uninterrupted run's outputs: changes per profile (`customer:id`) in order, identities. */
export interface ReferenceRun {
  changes: Record<string, SegmentChange[]>;
  identities: Record<string, Record<string, string>>;
  memberships: Record<string, Record<string, string[]>>;
  event_counts: Record<string, number>;
}

/** The same stream, uninterrupted, through the vector runner (one MiniCluster, parallelism 1). */
export async function referenceRun(dir: string, events: PulseEvent[]): Promise<ReferenceRun> {
  const inputFile = join(dir, 'reference.json');
  writeFileSync(
    inputFile,
    JSON.stringify({ segments: DEFINITIONS, items: events.map((event) => ({ event })) }),
  );
  const { stdout } = await runFlinkMain('dev.pulse.flink.vectors.VectorRunner', [inputFile, '1'], {
    timeoutMs: 300_000,
  });
  const result = JSON.parse(stdout) as Omit<ReferenceRun, 'changes'> & {
    changes: Record<string, SegmentChange[]>;
  };
  const changes: Record<string, SegmentChange[]> = {};
  for (const change of Object.values(result.changes).flat()) {
    (changes[`${change.customer_id}:${change.id}`] ??= []).push(change);
  }
  return { ...result, changes };
}

/** Writes events `from`..`to` of the stream as ingest does (per customer, 100 at a time). */
export async function produceRange(
  sink: KafkaSink,
  events: PulseEvent[],
  from: number,
  to: number,
): Promise<void> {
  for (let i = from; i < to; i += 100) {
    const batch = events.slice(i, Math.min(i + 100, to));
    for (const customer of CUSTOMERS) {
      const mine = batch.filter((event) => event.customer_id === customer);
      if (mine.length) await sink.write({ customer_id: customer, events: mine, dead_letters: [] });
    }
  }
}

/** What read_committed readers see now (Kafka's own consumer: see ReadCommitted.java). */
export async function committedOutputs(
  brokers: string,
): Promise<{ changes: SegmentChange[]; links: IdentityLink[] }> {
  const records = await readCommitted(brokers, [TOPICS.segments, TOPICS.identity]);
  return {
    changes: records
      .filter((r) => r.topic === TOPICS.segments)
      .map((r) => r.value as SegmentChange),
    links: records.filter((r) => r.topic === TOPICS.identity).map((r) => r.value as IdentityLink),
  };
}

/** Changes by profile (`customer:id`), in the order they were committed. */
export function changesByProfile(changes: SegmentChange[]): Record<string, SegmentChange[]> {
  const byKey: Record<string, SegmentChange[]> = {};
  for (const change of changes) (byKey[`${change.customer_id}:${change.id}`] ??= []).push(change);
  return byKey;
}

/** The identities the links add up to (the latest link of each source). */
export function identitiesOf(links: IdentityLink[]): Record<string, Record<string, string>> {
  const identities: Record<string, Record<string, string>> = {};
  for (const link of links) (identities[link.customer_id] ??= {})[link.source_id] = link.user_id;
  return identities;
}

/** The committed changes are the reference run's: each once, in order per profile. */
export function expectReferenceChanges(changes: SegmentChange[], reference: ReferenceRun): void {
  expect(Object.keys(reference.changes).length).toBeGreaterThan(20);
  expect(changesByProfile(changes)).toEqual(reference.changes);
}

/** The committed links are written once each and add up to the reference run's identities. */
export function expectReferenceLinks(links: IdentityLink[], reference: ReferenceRun): void {
  const keys = links.map((link) => `${link.customer_id}:${link.source_id}:${link.user_id}`);
  expect(keys.length).toBeGreaterThan(0);
  expect(new Set(keys).size).toBe(keys.length);
  expect(identitiesOf(links)).toEqual(reference.identities);
}
