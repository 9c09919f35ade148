import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import type { PulseEvent } from '@pulse/contract';
import { runReconciliation } from '../src/ops/reconcile-job';
import { startBackend, type Backend } from '../src/start-backend';
import { archiveFileOf } from '../src/warehouse/event-archive';
import type { FileStore } from '../src/warehouse/file-store';
import { openChdbClient } from '../src/warehouse/open-client';
import { makeEvent, tempWarehousePath } from './warehouse-fixtures';

// The batch path's reconciliation on the embedded backend: the warehouse, the archive and the
// per-minute rollups count each closed hour; a gap the archive can fill is healed and
// recorded, one nothing can fill alerts (metric, log line, the operator's webhook). Run over
// each kind of file store (a directory, a bucket of a real S3-compatible server).

const HOUR = 3_600_000;
const NOW = Date.now();
const H = (back: number) => Math.floor(NOW / HOUR) * HOUR - back * HOUR;

/** 20 page views and 5 clicks in each of the 4 closed hours before the last one; cust_b too. */
function traffic(): PulseEvent[] {
  const events: PulseEvent[] = [];
  for (const back of [2, 3, 4, 5]) {
    for (let i = 0; i < 25; i++) {
      events.push(
        makeEvent({
          event_id: `e-${back}-${i}`,
          timestamp: new Date(H(back) + i * 60_000).toISOString(),
          visitor_id: `v${i % 6}`,
          event_type: i < 20 ? 'page_view' : 'click',
          event_name: i < 20 ? 'page_view' : 'buy',
        }),
      );
    }
    events.push(
      makeEvent({
        customer_id: 'cust_b',
        event_id: `b-${back}`,
        timestamp: new Date(H(back)).toISOString(),
      }),
    );
  }
  return events;
}

/** Where a suite archives, and how it loses a file behind Pulse's back. */
export interface ReconcileStore {
  archive: FileStore;
  /** Removes the file at `relative` (a path under the archive). */
  lose(relative: string): Promise<void>;
}

/** The reconciliation tests over the archive `store` makes once the data directory exists. */
export function reconcileSuite(name: string, store: (dataDir: string) => ReconcileStore) {
  let dir: string;
  let archive: ReconcileStore;
  let backend: Backend;
  let admin: ClickHouseClient;
  /** The operator's alert webhook: outside Pulse, so a recording double. */
  let operator: Server;
  let operatorUrl: string;
  const alerts: Array<{ kind: string; gaps: Array<Record<string, unknown>> }> = [];

  beforeAll(async () => {
    operator = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        alerts.push(JSON.parse(body) as (typeof alerts)[number]);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => operator.listen(0, '127.0.0.1', resolve));
    operatorUrl = `http://127.0.0.1:${(operator.address() as AddressInfo).port}/alerts`;
    dir = tempWarehousePath();
    archive = store(dir);
    backend = await startBackend({
      dataDir: dir,
      port: 0,
      ingestSecret: 'x',
      tickMs: 0,
      archive: archive.archive,
      archiveEveryMs: 0,
      reconcileEveryMs: 0,
    });
    admin = openChdbClient(join(dir, 'warehouse'));
    await backend.processor.process(traffic());
    await backend.warehouse.archive(NOW, { watermarkLagMs: 0 });
  });

  afterAll(async () => {
    await backend?.stop();
    await admin?.close();
    await new Promise((resolve) => operator?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const reconcile = () =>
    runReconciliation(
      { warehouse: backend.warehouse, metrics: backend.metrics, alertWebhook: operatorUrl },
      NOW,
    );
  const loseRows = (ids: string[]) =>
    admin.command({
      query: `DELETE FROM pulse.events WHERE event_id IN {ids:Array(String)}
      SETTINGS lightweight_deletes_sync = 2`,
      query_params: { ids },
    });
  const inWarehouse = () => backend.warehouse.eventCount('cust_a');
  const metric = async (name: string) =>
    (await backend.metrics.registry.metrics())
      .split('\n')
      .find((line) => line.startsWith(`${name}{customer="cust_a"`));

  describe(name, () => {
    it('finds nothing when the three counts agree, and alerts nobody', async () => {
      const report = await reconcile();
      // 4 hours × 2 types of cust_a, 4 hours × 1 type of cust_b.
      expect(report.compared).toBe(12);
      expect(report.gaps).toEqual([]);
      expect(alerts).toEqual([]);
    });

    it('heals rows lost from the warehouse from the archive, and records the gap', async () => {
      await loseRows(['e-3-1', 'e-3-2', 'e-3-3', 'e-3-4', 'e-3-5']);
      expect(await inWarehouse()).toBe(95);
      const report = await reconcile();
      expect(report.gaps).toEqual([
        {
          customer_id: 'cust_a',
          hour: new Date(H(3)).toISOString(),
          event_type: 'page_view',
          expected: 20,
          warehouse: 15,
          archive: 20,
          rollups: 20,
          kafka: null,
          healed: 5,
          healed_from_kafka: 0,
          missing: 0,
          alert: false,
        },
      ]);
      expect(report.alert).toBe(false);
      expect(await inWarehouse()).toBe(100);
      expect(alerts).toEqual([]);
      const recorded = await backend.warehouse.query<{ healed: string; missing: string }>(
        `SELECT healed, missing FROM pulse.reconciliations WHERE customer_id = 'cust_a'`,
      );
      expect(recorded.map((r) => [Number(r.healed), Number(r.missing)])).toEqual([[5, 0]]);
      expect(await metric('pulse_reconciliation_healed_events_total')).toMatch(
        /\{customer="cust_a",from="archive"\} 5$/,
      );
      // Healed for good: the next run finds nothing.
      expect((await reconcile()).gaps).toEqual([]);
    });

    it('alerts on a gap nothing can heal: rows lost with their hour file gone', async () => {
      await loseRows(['e-4-1', 'e-4-2', 'e-4-3']);
      await archive.lose(archiveFileOf('cust_a', H(4)));
      const report = await reconcile();
      const alerting = report.gaps.filter((gap) => gap.alert);
      expect(alerting).toEqual([
        {
          customer_id: 'cust_a',
          hour: new Date(H(4)).toISOString(),
          event_type: 'page_view',
          expected: 20,
          warehouse: 17,
          archive: 0,
          rollups: 20,
          kafka: null,
          healed: 0,
          healed_from_kafka: 0,
          missing: 3,
          alert: true,
        },
      ]);
      // The clicks of that hour were only missing from the archive: archived again, no alert.
      expect(report.gaps.find((gap) => gap.event_type === 'click')).toMatchObject({
        warehouse: 5,
        archive: 0,
        missing: 0,
        alert: false,
      });
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ kind: 'pulse_reconciliation', alert: true });
      expect(alerts[0]!.gaps).toEqual(alerting);
      expect(await metric('pulse_reconciliation_alerts_total')).toMatch(/ 1$/);
      expect(await metric('pulse_reconciliation_missing_events')).toMatch(/ 3$/);
    });
  });
}
