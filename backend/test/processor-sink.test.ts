import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter } from '@pulse/contract';
import { createProcessor } from '../src/processor/processor';
import { createFileLogSink, type FileLogSink } from '../src/sinks/file-log-sink';
import { createProcessorSink } from '../src/sinks/processor-sink';
import { openEmbeddedStore } from '../src/state/embedded-store';
import type { StateStore } from '../src/state/state-store';
import { createWarehouse } from '../src/warehouse/create-warehouse';
import type { Warehouse } from '../src/warehouse/warehouse';
import { pulseEvent } from './kafka-fixtures';

/**
 * The embedded default's sink keeps the poison-record policy of the Kafka consumer: an event
 * that fails every time goes to the dead letters with its reason, the rest of its batch is
 * stored, and the answer is not a 503 the client would retry forever.
 */
describe('the embedded processor sink with a poison event', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-processor-sink-'));
  let warehouse: Warehouse;
  let store: StateStore;
  let deadLetters: FileLogSink;
  beforeAll(async () => {
    warehouse = await createWarehouse({ path: join(dir, 'warehouse'), ttl: false });
    store = openEmbeddedStore(join(dir, 'state'));
    deadLetters = createFileLogSink(join(dir, 'dead-letters.ndjson'));
  });
  afterAll(async () => {
    await deadLetters.close();
    await store.close();
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('quarantines the event that fails every time and stores its neighbours', async () => {
    const heard: DeadLetter[] = [];
    const sink = createProcessorSink(createProcessor({ store, warehouse }), deadLetters, {
      onQuarantine: (letter) => heard.push(letter),
      poisonRetries: 0,
    });
    const good = [pulseEvent('cust_sink'), pulseEvent('cust_sink')];
    // What ingest's validation would refuse: reaching the processor, it fails every write.
    const poison = { ...pulseEvent('cust_sink'), timestamp: 'yesterday' };
    await sink.write({
      customer_id: 'cust_sink',
      events: [good[0]!, poison, good[1]!],
      dead_letters: [],
    });
    expect(await warehouse.eventCount('cust_sink')).toBe(2);
    expect(heard.map((l) => l.event_id)).toEqual([poison.event_id]);
    const logged = (await deadLetters.read()).flatMap((batch) => batch.dead_letters);
    expect(logged).toEqual([
      expect.objectContaining({
        event_id: poison.event_id,
        code: 'quarantined',
        message: expect.stringMatching(/processing failed deterministically: .*timestamp/),
        raw: expect.objectContaining({ timestamp: 'yesterday' }),
      }),
    ]);
  });
});
