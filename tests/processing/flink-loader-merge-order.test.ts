import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { IdentityLink } from '@pulse/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideFor } from '../../backend/src/api/decide/decide-for';
import { findProfile } from '../../backend/src/api/profiles/find-profile';
import { TOPICS } from '../../backend/src/kafka/topics';
import { createProcessor } from '../../backend/src/processor/processor';
import { startBackend, type Backend } from '../../backend/src/start-backend';
import { openEmbeddedStore } from '../../backend/src/state/embedded-store';
import type { StateStore } from '../../backend/src/state/state-store';
import { createTriggerStore } from '../../backend/src/triggers/trigger-store';
import { pulseEvent } from '../../backend/test/kafka-fixtures';
import { missingService, waitUntil } from '../services/free-port';
import { kafkaToolsAvailable, startKafka, type KafkaBroker } from '../services/kafka/broker';
import { redisUnavailable, startRedis, type RedisServer } from '../services/redis';

const why = (await kafkaToolsAvailable()) ?? redisUnavailable();
const skip = why ? missingService('Kafka and Redis', why) === 'skip' : false;

const CUSTOMER = 'cust_merge_order';
/** A phone that logged in as u-old; u-old is then merged into u-new by an alias. */
const IDS = ['v-phone', 'v-laptop', 'u-old', 'u-new'];

/**
 * The loader reads the partitions of `pulse.identity` independently, and links are keyed by
 * their source, so the links of one merge sit in different partitions. Whatever the order in
 * which it loads them, the state store must end as the TypeScript processor's own commit
 * leaves it: a merged user keeps no set of sources of its own.
 */
describe.skipIf(skip)('the Flink loader with the links of a merge in other partitions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-flink-merge-order-'));
  let broker: KafkaBroker;
  let redis: RedisServer;
  let backend: Backend;
  let reference: StateStore;
  let producer: Producer;

  beforeAll(async () => {
    [broker, redis] = await Promise.all([startKafka(), startRedis()]);
    backend = await startBackend({
      dataDir: join(dir, 'backend'),
      port: 0,
      ingestSecret: 'loader',
      kafkaBrokers: [broker.brokers],
      redisUrl: redis.url,
      engine: 'flink',
      roles: { ingest: false },
      tickMs: 0,
      ttl: false,
    });
    reference = openEmbeddedStore(join(dir, 'reference'));
    producer = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING }).producer({
      idempotent: true,
    });
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await backend?.stop();
    await reference?.close();
    await redis?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves a merged user’s links and sources as the processor does, its merge loaded before its older links', async () => {
    // The processor's own run of the story, in order, into a store of its own: its links are
    // the records the engines write to pulse.identity, and its state is the one to match.
    const processor = createProcessor({ store: reference, warehouse: backend.warehouse });
    const login = pulseEvent(CUSTOMER, {
      event_type: 'identify',
      visitor_id: 'v-phone',
      user_id: 'u-old',
    });
    const alias = pulseEvent(CUSTOMER, {
      event_type: 'alias',
      visitor_id: 'v-laptop',
      user_id: 'u-new',
      previous_id: 'u-old',
    });
    const links = [
      ...(await processor.process([login])).links,
      ...(await processor.process([alias])).links,
    ];
    const pair = (link: IdentityLink) => `${link.source_id}→${link.user_id}`;
    expect(links.map(pair)).toEqual([
      'v-phone→u-old',
      'v-laptop→u-new',
      'u-old→u-new',
      'v-phone→u-new',
    ]);

    // Keyed by source as the job keys them; the partitions are chosen so the merge's own
    // link (partition 1) is loaded before the phone's older link to u-old (partition 0).
    const send = (partition: number, records: IdentityLink[]) =>
      producer.send({
        topic: TOPICS.identity,
        acks: -1,
        messages: records.map((link) => ({
          key: `${link.customer_id}:${link.source_id}`,
          value: JSON.stringify(link),
          partition,
        })),
      });
    /** Waits until the loader has linked `id` to u-new, saying what it saw last if not. */
    const loadedLink = async (id: string) => {
      let seen: string | null | undefined;
      await waitUntil(
        () => `the loader to link ${id} to u-new (last seen: ${seen})`,
        async () => {
          [seen] = await backend.store.links([{ customer: CUSTOMER, id }]);
          return seen === 'u-new';
        },
        60_000,
      );
    };
    await send(
      1,
      links.filter((link) => link.source_id !== 'v-phone'),
    );
    await loadedLink('u-old');
    await send(
      0,
      links.filter((link) => link.source_id === 'v-phone'),
    );
    // The phone's partition holds `v-phone → u-old` then `v-phone → u-new`: the second loaded
    // means the first was too.
    await loadedLink('v-phone');

    const loaded = await answers(backend.store, backend.warehouse);
    const expected = await answers(reference, backend.warehouse);
    expect(loaded.sources).toEqual(expected.sources);
    expect(loaded).toEqual(expected);
    expect(expected.sources['u-new']).toEqual(['u-old', 'v-laptop', 'v-phone']);
    expect(expected.sources['u-old']).toEqual([]);

    // Deleting the profile removes the same ids from both, and leaves nothing of them behind.
    const deleted = async (store: StateStore) => {
      const ids = (await store.deleteProfile(CUSTOMER, 'v-phone')).sort();
      const left = await store.sources(IDS.map((id) => ({ customer: CUSTOMER, id })));
      return { ids, left };
    };
    expect(await deleted(backend.store)).toEqual(await deleted(reference));
  });
});

/** What the state store tells its readers about each id of the story. */
async function answers(store: StateStore, warehouse: Backend['warehouse']) {
  const refs = IDS.map((id) => ({ customer: CUSTOMER, id }));
  const [links, sources] = await Promise.all([store.links(refs), store.sources(refs)]);
  const triggers = createTriggerStore(store);
  const per = async <T>(answer: (id: string) => Promise<T>) =>
    Object.fromEntries(await Promise.all(IDS.map(async (id) => [id, await answer(id)] as const)));
  return {
    links: Object.fromEntries(IDS.map((id, i) => [id, links[i]])),
    sources: Object.fromEntries(IDS.map((id, i) => [id, [...(sources[i] ?? [])].sort()])),
    profiles: await per(async (id) => {
      const profile = await findProfile({ store, warehouse }, CUSTOMER, id);
      return profile && { ...profile, sources: [...profile.sources].sort() };
    }),
    decide: await per((id) => decideFor(store, triggers, CUSTOMER, id)),
    decideProven: await per((id) => decideFor(store, triggers, CUSTOMER, 'v-phone', id)),
  };
}
