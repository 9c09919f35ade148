import type { ExportDestinations } from '../config/export-destinations';
import { log } from '../log';
import type { BackendMetrics } from '../metrics/backend-metrics';
import { storeLocation } from '../warehouse/file-store';
import type { DayExport } from '../warehouse/event-export';
import type { Warehouse } from '../warehouse/warehouse';

export interface ExportJobOptions {
  warehouse: Warehouse;
  destinations: ExportDestinations;
  metrics: BackendMetrics;
}

/** What one run wrote, per customer. */
export type ExportRun = Record<string, DayExport[]>;

/**
 * One run of the scheduled exports: for each customer with a destination, every day due
 * (`Warehouse.exportsDue`: closed days of the warm tier not exported yet, or with events
 * received since) is written to its bucket or directory, oldest first. A customer whose store
 * fails is logged and counted and retried at the next run; the others go on.
 */
export async function runExports(options: ExportJobOptions, now = Date.now()): Promise<ExportRun> {
  const { warehouse, destinations, metrics } = options;
  const run: ExportRun = {};
  for (const [customer, { to, formats }] of destinations) {
    try {
      for (const day of await warehouse.exportsDue(customer, to, now)) {
        const done = await warehouse.exportDay(customer, day, to, formats, now);
        (run[customer] ??= []).push(done);
        metrics.exported(customer, 'ok', done.rows);
      }
    } catch (error) {
      metrics.exported(customer, 'failed', 0);
      log.error(
        { err: error, customer, to: storeLocation(to) },
        `export: the scheduled export of ${customer} failed: ${String(error)}`,
      );
    }
  }
  return run;
}
