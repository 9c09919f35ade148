import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import {
  SIGNATURE_HEADER,
  signBody,
  type PulseEvent,
  type SegmentDefinition,
  type SinkBatch,
} from '@pulse/contract';
import {
  UNFINISHED_WRITE_KIND,
  WRITE_LEASE_KIND,
} from '../../backend/src/api/segments/segment-writes';
import { openEmbeddedStore } from '../../backend/src/state/embedded-store';
import { createWarehouse } from '../../backend/src/warehouse/create-warehouse';
import { allMembers, pageView, PRICING_FANS } from '../fixtures/processing';
import { freePort, waitUntil } from '../services/free-port';
import { processorChild } from './processor-child';

const SECRET = 'segment-write-crash';
const CUSTOMER = 'cust_cut';
const KEY = 'sk_cut';
const dir = mkdtempSync(join(tmpdir(), 'pulse-segment-write-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 30,000 page views of 3,000 visitors in the last hour; every third visitor views /pricing 10 times. */
const history = (): PulseEvent[] =>
  Array.from({ length: 30_000 }, (_, n) =>
    pageView({
      event_id: `cut-${n}`,
      customer_id: CUSTOMER,
      visitor_id: `cv${n % 3000}`,
      path: n % 3 === 0 ? '/pricing' : `/p${n % 5}`,
      at: new Date(Date.now() - 3_600_000 + n * 100).toISOString(),
    }),
  );
const FANS = Array.from({ length: 1000 }, (_, i) => `cv${i * 3}`).sort();

/**
 * The embedded default killed with `kill -9` in the middle of a segment's backfill (a POST
 * replaying 10,000 matching events): the write was recorded as unfinished, and once the
 * backend runs again it finishes it (segment-writes.ts), so the segment holds exactly the
 * members of its history instead of those the cut replay had reached.
 */
it('finishes a segment write cut by kill -9 of the embedded backend once it runs again', async () => {
  const port = await freePort();
  const child = processorChild({
    dataDir: dir,
    ingestPort: port,
    ingestSecret: SECRET,
    env: { PULSE_API_KEYS: JSON.stringify({ [KEY]: CUSTOMER }) },
  });
  // LMDB serves several processes at once: the test watches the write in the state store.
  const store = openEmbeddedStore(join(dir, 'state'));
  const base = `http://127.0.0.1:${port}`;
  const ingest = async (batch: SinkBatch) => {
    const body = JSON.stringify(batch);
    const res = await fetch(`${base}/internal/ingest`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: await signBody(SECRET, body),
      },
      body,
    });
    expect(res.status).toBe(200);
  };
  const unfinished = async (id: string) =>
    (await store.listDocuments(CUSTOMER, UNFINISHED_WRITE_KIND)).some((d) => d.id === id);

  await child.start();
  let cut: SegmentDefinition | undefined;
  let answered: number | null = null;
  try {
    const events = history();
    for (let at = 0; at < events.length; at += 500)
      await ingest({ customer_id: CUSTOMER, events: events.slice(at, at + 500), dead_letters: [] });
    // Kill once the write is recorded and its replay has entered some members. A machine fast
    // enough to finish the replay between the last look and the kill gets another segment.
    for (let attempt = 1; attempt <= 3 && !cut; attempt++) {
      const definition = { ...PRICING_FANS, id: `fans_${attempt}` };
      const post = fetch(`${base}/v1/segments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(definition),
      }).then(
        (res) => res.status,
        () => null,
      );
      const deadline = Date.now() + 60_000;
      for (;;) {
        const entered = (await store.members(CUSTOMER, definition.id, null, 1)).ids.length > 0;
        if (entered && (await unfinished(definition.id))) break;
        if (Date.now() > deadline) throw new Error(`the backfill of ${definition.id} never began`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await child.kill9();
      answered = await post;
      if (await unfinished(definition.id)) cut = definition;
      await child.start();
    }
    expect(cut, 'a write cut in the middle of its backfill').toBeDefined();
    expect(answered, 'the cut request got no answer').toBeNull();
    const segment = cut!.id;
    const before = await allMembers(store, CUSTOMER, segment);
    expect(before.length).toBeLessThan(FANS.length);
    console.log(
      `[segment-write-crash] ${segment} cut with ${before.length} of ${FANS.length} members in`,
    );
    // The killed backend's lease on the write lapses a minute after the kill: as if it had.
    await store.putDocument(CUSTOMER, WRITE_LEASE_KIND, segment, { until: Date.now() - 1 });
    await waitUntil(
      `the restarted backend to finish the write of ${segment}`,
      async () => !(await unfinished(segment)),
      90_000,
    );
    expect((await allMembers(store, CUSTOMER, segment)).sort()).toEqual(FANS);
    expect(await store.listDocuments(CUSTOMER, WRITE_LEASE_KIND)).toEqual([]);
  } finally {
    await child.stop();
  }
  const warehouse = await createWarehouse({ path: join(dir, 'warehouse') });
  try {
    expect(await warehouse.eventCount(CUSTOMER)).toBe(30_000);
    const changes = (await warehouse.segmentChanges(CUSTOMER)).filter(
      (change) => change.segment_id === cut!.id,
    );
    expect(changes.filter((change) => change.change === 'exit')).toEqual([]);
    expect([...new Set(changes.map((change) => change.id))].sort()).toEqual(FANS);
  } finally {
    await warehouse.close();
    await store.close();
  }
}, 300_000);
