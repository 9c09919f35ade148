import { Readable } from 'node:stream';
import { writeEvents, type InsertBody } from './event-writer';
import { CHANGE_COLUMNS, LINK_COLUMNS, toChangeRow, toClickHouseTime, toLinkRow } from './rows';
import { toTabSeparated } from './tab-separated';
import { applyMigrations } from './migrations';
import { applyRetention } from './retention';
import { applyArchiving } from './archiving';
import { openClient } from './open-client';
import { createWarehouseReads } from './warehouse-reads';
import { readEventsSince } from './event-history';
import { countProfileEvents, deleteProfileRows, profileEventDays } from './profile-data';
import { exportEventsOfDay, exportsDue, recordErasures } from './event-export';
import { checkStore, storeLocation } from './file-store';
import { archiveClosedHours, deleteArchivedProfile } from './event-archive';
import { reconcileHours, recordGaps } from './reconcile';
import { WarehouseError, isWarehouseError } from './warehouse-error';
import type { Warehouse, WarehouseBatch, WarehouseOptions } from './warehouse';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Insert settings. No block deduplication: ClickHouse logs a block's hash before its part is
 * committed, so a crash between the two made the replayed block look stored when it was not
 * (migration 2). Copies are harmless instead: `events` folds them by key, reads count
 * distinct event_ids, and the rollups hold distinct-count states.
 */
const INSERT_SETTINGS = { insert_deduplicate: 0 } as const;

/**
 * Opens the warehouse: chdb in-process with its data under `options.path` (default
 * `.pulse/warehouse`), or the ClickHouse server at `options.url`; applies the migrations and
 * the retention choice, then serves reads and writes through one `@clickhouse/client`.
 *
 * chdb runs one engine per process: see `openChdbClient` for what that allows.
 *
 * @example
 * const warehouse = await createWarehouse({ path: '.pulse/warehouse' });
 * await warehouse.write({ events, links: [], changes: [] });
 * const minutes = await warehouse.rollups('cust_a', from, to);
 */
export async function createWarehouse(options: WarehouseOptions = {}): Promise<Warehouse> {
  const database = options.database ?? 'pulse';
  if (!IDENTIFIER.test(database)) {
    throw new WarehouseError('invalid_option', `database must be an identifier: ${database}`);
  }
  if (options.url && options.archive?.kind === 'dir') {
    throw new WarehouseError(
      'invalid_option',
      'an archive directory is local: it works with chdb; with a ClickHouse server use a bucket',
    );
  }
  const client = openClient(options);
  let schemaVersion: number;
  try {
    schemaVersion = await applyMigrations(client, database);
    await applyRetention(client, database, options.ttl ?? true);
    await applyArchiving(client, database, Boolean(options.archive));
  } catch (error) {
    await client.close();
    throw unavailable('could not migrate the warehouse', error);
  }
  try {
    if (options.archive) await checkStore(client, options.archive);
  } catch (error) {
    await client.close();
    throw unavailable(`the archive (${storeLocation(options.archive!)}) takes no writes`, error);
  }

  const reads = createWarehouseReads(client, database);
  // Writes run one at a time, so a duplicate in a later batch always sees the time its
  // first copy was stored with.
  let tail: Promise<void> = Promise.resolve();
  let closed = false;

  const insert: InsertBody = async (table, columns, body) => {
    await client.insert({
      table: `${database}.${table}`,
      columns: [...columns] as [string, ...string[]],
      values: Readable.from([body], { objectMode: false }),
      format: 'TabSeparated',
      clickhouse_settings: INSERT_SETTINGS,
    });
  };

  const writeNow = async ({ events, links, changes }: WarehouseBatch): Promise<void> => {
    await writeEvents(client, database, events, insert);
    if (links.length > 0) {
      await insert('identities', LINK_COLUMNS, toTabSeparated(links.map(toLinkRow), LINK_COLUMNS));
    }
    if (changes.length > 0) {
      const body = toTabSeparated(changes.map(toChangeRow), CHANGE_COLUMNS);
      await insert('segment_changes', CHANGE_COLUMNS, body);
    }
  };

  const archiveStore = options.archive ?? null;
  // Archiver runs one at a time: two would write the same hour's file at once.
  let archiving: Promise<unknown> = Promise.resolve();

  return {
    schemaVersion,
    archiveStore,
    archive(now = Date.now(), archiveOptions = {}) {
      if (!archiveStore) {
        return Promise.reject(new WarehouseError('invalid_option', 'no archive'));
      }
      const run = archiving.then(async () => {
        // Behind the writes in flight, so an acknowledged batch is in the hours it reads.
        await tail;
        return archiveClosedHours(client, database, {
          store: archiveStore,
          now,
          ...archiveOptions,
        });
      });
      archiving = run.catch(() => {});
      return run;
    },
    reconcile(from, to, now = Date.now(), kafka) {
      if (!archiveStore) {
        return Promise.reject(new WarehouseError('invalid_option', 'no archive'));
      }
      // In the archiver's queue: it reads and rewrites the same hours.
      const run = archiving.then(async () => {
        await tail;
        const report = await reconcileHours(client, database, {
          store: archiveStore,
          from,
          to,
          now,
          kafka: kafka && {
            ...kafka,
            write: (events) => writeNow({ events, links: [], changes: [] }),
          },
        });
        await recordGaps(client, database, now, report.gaps);
        return report;
      });
      archiving = run.catch(() => {});
      return run;
    },
    async witness(records) {
      if (!records.length) return;
      const witnessedAt = toClickHouseTime(new Date().toISOString());
      await client.insert({
        table: `${database}.kafka_witness`,
        values: records.map((record) => ({
          ...record,
          timestamp: toClickHouseTime(record.timestamp, 'timestamp'),
          witnessed_at: witnessedAt,
        })),
        format: 'JSONEachRow',
        clickhouse_settings: INSERT_SETTINGS,
      });
    },
    write(batch) {
      if (closed) return Promise.reject(new WarehouseError('unavailable', 'warehouse is closed'));
      const done = tail.then(() =>
        writeNow(batch).catch((error: unknown) => {
          throw isWarehouseError(error) ? error : unavailable('could not write a batch', error);
        }),
      );
      tail = done.catch(() => {});
      return done;
    },
    ...reads,
    eventsSince: (customerId, from, filter) =>
      readEventsSince(
        client,
        database,
        customerId,
        from,
        filter,
        undefined,
        archiveStore ? { store: archiveStore, now: Date.now() } : null,
      ),
    profileEventCount: (customerId, ids) => countProfileEvents(client, database, customerId, ids),
    async deleteProfile(customerId, ids, now = Date.now()) {
      // Behind the writes in flight, so a batch of the profile's events queued before the
      // delete does not land after it.
      await tail;
      const days = await profileEventDays(client, database, customerId, ids);
      const deleted = await deleteProfileRows(client, database, customerId, ids);
      if (archiveStore) {
        await archiving;
        const files = await deleteArchivedProfile(client, database, {
          store: archiveStore,
          customerId,
          ids,
        });
        for (const file of files) days.push(/\/dt=(\d{4}-\d{2}-\d{2})\//.exec(file)?.[1] ?? '');
      }
      // The scheduled export writes those days again, without the profile (event-export.ts).
      await recordErasures(client, database, { customerId, days, now });
      return deleted;
    },
    async exportDay(customerId, day, to, formats, now = Date.now()) {
      // Behind the writes in flight, so a batch acknowledged before the call is in the files.
      await tail;
      return exportEventsOfDay(client, database, {
        customerId,
        day,
        to,
        formats,
        now,
        archive: archiveStore,
      });
    },
    exportsDue: (customerId, to, now = Date.now()) =>
      exportsDue(client, database, { customerId, to, now }),
    async close() {
      if (closed) return;
      closed = true;
      await tail;
      await archiving;
      await client.close();
    },
  };
}

const unavailable = (what: string, error: unknown) =>
  new WarehouseError('unavailable', `${what}: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
  });
