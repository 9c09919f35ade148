import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SIGNATURE_HEADER, signBody, type PulseEvent, type SinkBatch } from '@pulse/contract';
import { allMembers, pageView, PRICING_FANS } from '../fixtures/processing';
import { openEmbeddedStore } from '../../backend/src/state/embedded-store';
import { createWarehouse } from '../../backend/src/warehouse/create-warehouse';
import { freePort } from '../services/free-port';
import { processorChild } from './processor-child';

const SECRET = 'embedded-restart';
const CUSTOMER = 'cust_embedded';
const dir = mkdtempSync(join(tmpdir(), 'pulse-embedded-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The embedded default (ingest + processor in one process, chdb + LMDB, no Kafka) killed with
 * `kill -9` while batches are in flight. The sender retries what was not acknowledged, as the
 * edge and the SDK do; after a restart every acknowledged event is there, counted once, and
 * the segment state is exact.
 */
it('keeps every acknowledged event and exact segment state across kill -9 of the embedded backend', async () => {
  const port = await freePort();
  const child = processorChild({ dataDir: dir, ingestPort: port, ingestSecret: SECRET });
  const url = `http://127.0.0.1:${port}/internal/ingest`;
  const batches: SinkBatch[] = [];
  const pricing = new Map<string, number>();
  for (let b = 0; b < 30; b++) {
    const events: PulseEvent[] = [];
    for (let i = 0; i < 400; i++) {
      const n = b * 400 + i;
      const visitor = `ev${n % 1500}`;
      const path = n % 3 === 0 ? '/pricing' : `/p${n % 5}`;
      if (path === '/pricing') pricing.set(visitor, (pricing.get(visitor) ?? 0) + 1);
      const at = new Date(Date.now() - 60_000 + n).toISOString();
      events.push(
        pageView({ event_id: `emb-${n}`, customer_id: CUSTOMER, visitor_id: visitor, path, at }),
      );
    }
    batches.push({ customer_id: CUSTOMER, events, dead_letters: [] });
  }

  /** Sends until acknowledged, as the edge does with the SDK's retries behind it. */
  let refused = 0;
  const deliver = async (batch: SinkBatch) => {
    const body = JSON.stringify(batch);
    for (;;) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: await signBody(SECRET, body),
          },
          body,
        });
        if (res.ok) return;
      } catch {
        // the process is down: try again once it is back
      }
      refused += 1;
      await sleep(200);
    }
  };

  // LMDB serves several processes at once: the test defines the segment and later reads state.
  const store = openEmbeddedStore(join(dir, 'state'));
  await store.putDefinition(CUSTOMER, PRICING_FANS);
  await child.start();
  let kills = 0;
  try {
    for (const [index, batch] of batches.entries()) {
      const sent = deliver(batch);
      if (index === 8 || index === 20) {
        await sleep(15 + index);
        await child.kill9();
        kills += 1;
        await child.start();
      }
      await sent;
    }
  } finally {
    await child.stop();
  }
  expect(kills).toBe(2);
  console.log(
    `[restart] embedded: 12000 events in 30 batches, 2 kills, ${refused} refused sends retried`,
  );

  const warehouse = await createWarehouse({ path: join(dir, 'warehouse') });
  try {
    expect(await warehouse.eventCount(CUSTOMER)).toBe(12_000);
    const minutes = await warehouse.rollups(CUSTOMER, new Date(0), new Date(Date.now() + 3600_000));
    expect(minutes.reduce((n, m) => n + (m.pages['/pricing'] ?? 0), 0)).toBe(4000);

    const expected = [...pricing]
      .filter(([, n]) => n >= 3)
      .map(([visitor]) => visitor)
      .sort();
    const members = await allMembers(store, CUSTOMER, PRICING_FANS.id, 300);
    expect(members.sort()).toEqual(expected);
    const enters = (await warehouse.segmentChanges(CUSTOMER)).filter((c) => c.change === 'enter');
    expect(enters.map((c) => c.id).sort()).toEqual(expected);
  } finally {
    await warehouse.close();
    await store.close();
  }
});
