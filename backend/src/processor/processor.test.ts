import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PulseEvent, SegmentChange } from '@pulse/contract';
import { openEmbeddedStore } from '../state/embedded-store';
import type { StateStore } from '../state/state-store';
import { createWarehouse } from '../warehouse/create-warehouse';
import type { Warehouse } from '../warehouse/warehouse';
import { createProcessor } from './processor';

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
