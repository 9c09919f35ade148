import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PulseEvent, SegmentChange } from '@pulse/contract';
import { openEmbeddedStore } from '../state/embedded-store';
import type { StateStore } from '../state/state-store';
import { createWarehouse } from '../warehouse/create-warehouse';
import type { Warehouse } from '../warehouse/warehouse';
import { createProcessor, MAX_WRITE_OUT_ATTEMPTS } from './processor';

const dir = mkdtempSync(join(tmpdir(), 'pulse-processor-'));
let store: StateStore;
let warehouse: Warehouse;

beforeAll(async () => {
  store = openEmbeddedStore(join(dir, 'state'));
  warehouse = await createWarehouse({ path: join(dir, 'warehouse'), ttl: false });
  await store.putDefinition('c', {
    id: 'clickers',
    rule: { event_type: 'click', min_count: 1, window: '24h' },
  });
});
afterAll(async () => {
  await store.close();
  await warehouse.close();
  rmSync(dir, { recursive: true, force: true });
});

const click = (id: string, visitor: string, at: string): PulseEvent => ({
  event_id: id,
  customer_id: 'c',
  visitor_id: visitor,
  user_id: null,
  session_id: null,
  event_type: 'click',
  event_name: 'buy',
  properties: {},
  previous_id: null,
  context: {},
  timestamp: at,
  original_timestamp: at,
  sent_at: at,
  received_at: at,
});

it('writes out changes a failed publish left in the outbox before the next batch', async () => {
  const published: SegmentChange[][] = [];
  let failures = 1;
  const processor = createProcessor({
    store,
    warehouse,
    publish: async (batch) => {
      if (batch.changes.length && failures-- > 0) throw new Error('broker down');
      published.push(batch.changes);
    },
  });

  await expect(processor.process([click('e1', 'v1', '2025-01-21T10:00:00.000Z')])).rejects.toThrow(
    'broker down',
  );
  // The state is committed with the change kept in the outbox.
  expect(await store.memberships([{ customer: 'c', segment: 'clickers', id: 'v1' }])).not.toEqual([
    null,
  ]);
  expect(await store.pendingOutbox()).toHaveLength(1);

  await processor.process([click('e2', 'v2', '2025-01-21T10:01:00.000Z')]);
  expect(published.map((changes) => changes.map((c) => c.id))).toEqual([['v1'], ['v2']]);
  expect(await store.pendingOutbox()).toEqual([]);
  expect((await warehouse.segmentChanges('c')).map((c) => [c.id, c.change, c.at])).toEqual([
    ['v1', 'enter', '2025-01-21T10:00:00.000Z'],
    ['v2', 'enter', '2025-01-21T10:01:00.000Z'],
  ]);
});

it('parks an outbox entry whose write-out fails every time, so later batches go on', async () => {
  const published: string[] = [];
  const parked: Array<{ ids: string[]; reason: string }> = [];
  const processor = createProcessor({
    store,
    warehouse,
    // A change the broker refuses every time (a record over its size limit, say).
    publish: async (batch) => {
      if (batch.changes.some((change) => change.id === 'v-huge')) {
        throw new Error('message too large');
      }
      published.push(...batch.changes.map((change) => change.id));
    },
    park: async (entry, error) =>
      void parked.push({
        ids: entry.changes.map((change) => change.id),
        reason: (error as Error).message,
      }),
  });
  const attempts = async (events: PulseEvent[]) => {
    for (let attempt = 1; attempt <= MAX_WRITE_OUT_ATTEMPTS; attempt++) {
      try {
        return await processor.process(events);
      } catch {
        // The intake retries a failed batch as it is.
      }
    }
    throw new Error('the batch never went through');
  };

  await attempts([click('e-huge', 'v-huge', '2025-01-21T11:00:00.000Z')]);
  expect(parked).toEqual([{ ids: ['v-huge'], reason: 'message too large' }]);
  await processor.process([click('e3', 'v3', '2025-01-21T11:01:00.000Z')]);
  expect(published).toEqual(['v3']);
  expect(await store.pendingOutbox()).toEqual([]);
  expect(processor.status().parked).toBe(1);
});

it('never parks an outbox entry while the broker is only out of reach', async () => {
  let down = true;
  const parked: unknown[] = [];
  const processor = createProcessor({
    store,
    warehouse,
    publish: async (batch) => {
      if (down && batch.changes.length) {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }
    },
    park: async (entry) => void parked.push(entry),
  });
  await expect(
    processor.process([click('e4', 'v4', '2025-01-21T12:00:00.000Z')]),
  ).rejects.toThrow();
  for (let attempt = 0; attempt < 2 * MAX_WRITE_OUT_ATTEMPTS; attempt++) {
    await expect(processor.process([])).rejects.toThrow('ECONNREFUSED');
  }
  expect(parked).toEqual([]);
  down = false;
  await processor.process([]);
  expect(await store.pendingOutbox()).toEqual([]);
});
