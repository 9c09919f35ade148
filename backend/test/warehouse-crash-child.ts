/**
 * Child process of warehouse-crash.test.ts: writes batches of 2,000 events to the warehouse
 * at argv[2] until killed, printing `acked <n>` once `write` of the n-th batch resolved.
 */
import { createWarehouse } from '../src/warehouse/create-warehouse';
import { crashBatch } from './warehouse-fixtures';

const path = process.argv[2];
if (!path) throw new Error('usage: warehouse-crash-child.ts <path>');
const started = performance.now();
const warehouse = await createWarehouse({ path, ttl: false });
console.log(`open ${Math.round(performance.now() - started)}`);
for (let batch = 0; ; batch++) {
  await warehouse.write({ events: crashBatch(batch), links: [], changes: [] });
  console.log(`acked ${batch + 1}`);
}
