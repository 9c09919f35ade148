import type { ClickHouseClient } from '@clickhouse/client';
import { withSchemaLock, type SchemaLock } from './schema-lock';
import { WarehouseError } from './warehouse-error';

/**
 * One schema step: statements run in order (`{db}` stands for the database name), then `run`,
 * for a step that must look at what is there first. Both must be safe to run again after a
 * crash cut them short. Steps run under the schema lock (schema-lock.ts); `run` calls
 * `lock.check()` before anything it cannot undo.
 */
export interface Migration {
  version: number;
  description: string;
  statements: string[];
  run?: (client: ClickHouseClient, database: string, lock: SchemaLock) => Promise<void>;
}

/**
 * The warehouse schema, oldest first. Never edit a released step: add a new one.
 *
 * Dedup keys hold only what a resend cannot change (DESIGN "Storage"): `customer_id` and
 * `event_id`, and from migration 9 the hour of `timestamp`. The hour and the partition (the
 * day of `timestamp`) are stable because `write` gives every copy of an event the
 * `timestamp` its first copy was stored with (within a day of its own: first-stored-times.ts).
 * Retention (7 d events, 24 h rollups) is not here but in `retention.ts`, so tests of
 * old data can switch it off without a second schema.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'events, per-minute rollups, identities, segment changes',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.events (
        customer_id LowCardinality(String),
        event_id String,
        visitor_id String,
        user_id Nullable(String),
        session_id Nullable(String),
        event_type LowCardinality(String),
        event_name String,
        previous_id Nullable(String),
        properties String CODEC(ZSTD(1)),
        context String CODEC(ZSTD(1)),
        page String,
        referrer String,
        country LowCardinality(String),
        browser LowCardinality(String),
        device LowCardinality(String),
        timestamp DateTime64(3, 'UTC'),
        original_timestamp DateTime64(3, 'UTC'),
        sent_at DateTime64(3, 'UTC'),
        received_at DateTime64(3, 'UTC'),
        INDEX timestamp_minmax timestamp TYPE minmax GRANULARITY 1
      )
      ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMMDD(timestamp)
      ORDER BY (customer_id, event_id)
      SETTINGS non_replicated_deduplication_window = 1000, fsync_after_insert = 1,
        fsync_part_directory = 1`,
      // Distinct-count states, so a replayed event merges into the same minute without
      // counting twice. Only page views carry a page; other events group under ''.
      `CREATE TABLE IF NOT EXISTS {db}.rollup_minute (
        customer_id LowCardinality(String),
        minute DateTime('UTC'),
        event_type LowCardinality(String),
        event_name String,
        page String,
        events AggregateFunction(uniqExact, String),
        visitors AggregateFunction(uniqExact, String),
        sessions AggregateFunction(uniqExact, String)
      )
      ENGINE = AggregatingMergeTree
      PARTITION BY toYYYYMMDD(minute)
      ORDER BY (customer_id, minute, event_type, event_name, page)
      SETTINGS non_replicated_deduplication_window = 1000, fsync_after_insert = 1,
        fsync_part_directory = 1`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.rollup_minute_mv TO {db}.rollup_minute AS
      SELECT
        customer_id,
        toStartOfMinute(timestamp) AS minute,
        event_type,
        event_name,
        if(event_type = 'page_view', page, '') AS page,
        uniqExactState(event_id) AS events,
        uniqExactState(visitor_id) AS visitors,
        uniqExactStateIf(assumeNotNull(session_id), isNotNull(session_id)) AS sessions
      FROM {db}.events
      GROUP BY customer_id, minute, event_type, event_name, page`,
      // The last link written for a source wins: the processor writes a source again only
      // when an alias re-links it, and a replay writes the same links in the same order.
      `CREATE TABLE IF NOT EXISTS {db}.identities (
        customer_id LowCardinality(String),
        source_id String,
        user_id String,
        at DateTime64(3, 'UTC'),
        event_id String
      )
      ENGINE = ReplacingMergeTree
      ORDER BY (customer_id, source_id)
      SETTINGS non_replicated_deduplication_window = 1000, fsync_after_insert = 1,
        fsync_part_directory = 1`,
      `CREATE TABLE IF NOT EXISTS {db}.segment_changes (
        customer_id LowCardinality(String),
        segment_id String,
        id String,
        change LowCardinality(String),
        at DateTime64(3, 'UTC'),
        reason LowCardinality(String)
      )
      ENGINE = ReplacingMergeTree
      ORDER BY (customer_id, segment_id, id, change, at)
      SETTINGS non_replicated_deduplication_window = 1000, fsync_after_insert = 1,
        fsync_part_directory = 1`,
    ],
  },
  {
    version: 2,
    description: 'no insert deduplication: a crash mid-insert could drop a batch for good',
    // ClickHouse records a block's hash before its part is committed. A kill -9 between the
    // two left the hash without the rows, and the replayed batch (the same block) was then
    // skipped as a duplicate: the event was gone from `events` though its rollup was stored.
    // Every table folds copies by key or holds distinct-count states, so copies are harmless.
    statements: ['events', 'rollup_minute', 'identities', 'segment_changes'].map(
      (table) => `ALTER TABLE {db}.${table} MODIFY SETTING non_replicated_deduplication_window = 0`,
    ),
  },
  {
    version: 3,
    description: 'the cold tier: hours to archive, and old events kept until they are archived',
    // The archiver (event-archive.ts) writes each closed hour of a customer's events to a
    // Parquet file. `archive_hours` says which hours got events since it last ran (a marker
    // per hour and insert block). Events older than 6 days (a history import) are also
    // copied to `archive_old`: the 7-day TTL of `events` may drop them before the archiver
    // runs, and the copy waits there until its hour's file holds it. The views that fill
    // both exist only while the warehouse has an archive (archiving.ts). Rows expire 30 days
    // after they were written, should an archiver stop running.
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.archive_hours (
        customer_id String,
        hour DateTime('UTC'),
        marked_at DateTime64(3, 'UTC')
      )
      ENGINE = MergeTree
      ORDER BY (customer_id, hour)
      TTL toDateTime(marked_at) + INTERVAL 30 DAY
      SETTINGS fsync_after_insert = 1, fsync_part_directory = 1`,
      `CREATE TABLE IF NOT EXISTS {db}.archive_old (
        customer_id String,
        event_id String,
        visitor_id String,
        user_id Nullable(String),
        session_id Nullable(String),
        event_type String,
        event_name String,
        previous_id Nullable(String),
        properties String CODEC(ZSTD(1)),
        context String CODEC(ZSTD(1)),
        page String,
        referrer String,
        country String,
        browser String,
        device String,
        timestamp DateTime64(3, 'UTC'),
        original_timestamp DateTime64(3, 'UTC'),
        sent_at DateTime64(3, 'UTC'),
        received_at DateTime64(3, 'UTC'),
        staged_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
      )
      ENGINE = MergeTree
      ORDER BY (customer_id, timestamp, event_id)
      TTL toDateTime(staged_at) + INTERVAL 30 DAY
      SETTINGS fsync_after_insert = 1, fsync_part_directory = 1`,
    ],
  },
  {
    version: 4,
    description:
      'the record of reconciliation runs: each gap found, what was healed, what is missing',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.reconciliations (
        at DateTime64(3, 'UTC'),
        customer_id String,
        hour DateTime('UTC'),
        event_type String,
        expected UInt64,
        warehouse UInt64,
        archive UInt64,
        rollups Nullable(UInt64),
        healed UInt64,
        missing UInt64,
        alert UInt8
      )
      ENGINE = MergeTree
      ORDER BY (at, customer_id, hour, event_type)
      SETTINGS fsync_after_insert = 1, fsync_part_directory = 1`,
    ],
  },
  {
    version: 5,
    description: 'the record of exports: each day of a customer written to a store, and when',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.exports (
        customer_id String,
        day Date,
        location String,
        rows UInt64,
        files Array(String),
        covers_received_before DateTime64(3, 'UTC')
      )
      ENGINE = MergeTree
      ORDER BY (customer_id, location, day, covers_received_before)
      SETTINGS fsync_after_insert = 1, fsync_part_directory = 1`,
    ],
  },
  {
    version: 6,
    description:
      "Kafka's witness for reconciliation: the events the processor has been handed, with where they sit in Kafka",
    statements: [
      // One row per record of pulse.events.* read by the witness consumer (kafka/witness.ts),
      // and one per record the processor quarantined (from pulse.dlq, `quarantined` 1, at the
      // record's position). Kept as long as Kafka keeps the records (7 days): a gap is healed
      // by reading them back.
      `CREATE TABLE IF NOT EXISTS {db}.kafka_witness (
        customer_id String,
        event_id String,
        event_type LowCardinality(String),
        timestamp DateTime64(3, 'UTC'),
        topic LowCardinality(String),
        partition UInt32,
        offset UInt64,
        quarantined UInt8,
        witnessed_at DateTime64(3, 'UTC')
      )
      ENGINE = ReplacingMergeTree
      PARTITION BY toDate(witnessed_at)
      ORDER BY (customer_id, toStartOfHour(timestamp), event_type, event_id, topic, partition, offset)
      TTL toDateTime(witnessed_at) + INTERVAL 7 DAY
      SETTINGS fsync_after_insert = 1, fsync_part_directory = 1`,
      `ALTER TABLE {db}.reconciliations
        ADD COLUMN IF NOT EXISTS kafka Nullable(UInt64) AFTER rollups`,
      `ALTER TABLE {db}.reconciliations
        ADD COLUMN IF NOT EXISTS healed_from_kafka UInt64 DEFAULT 0 AFTER healed`,
    ],
  },
  {
    version: 7,
    description:
      "days whose exports hold a deleted profile's events: written again (event-export.ts)",
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.export_erasures (
        customer_id String,
        day Date,
        erased_at DateTime64(3, 'UTC')
      )
      ENGINE = MergeTree
      ORDER BY (customer_id, day, erased_at)
      TTL toDateTime(erased_at) + INTERVAL 30 DAY
      SETTINGS fsync_after_insert = 1, fsync_part_directory = 1`,
    ],
  },
  {
    version: 8,
    description: "64-bit hashes of visitor and session ids: the dashboard's distinct counts",
    // Counting distinct UInt64 values stored beside the rows takes about a third of the time
    // of counting the id strings (issue 14). MATERIALIZED: every insert computes them, and
    // parts written before this step compute them when read until MATERIALIZE COLUMN has
    // rewritten them. `SELECT *` leaves them out, so the views copying `events` rows, the
    // archive and the exports see the same columns as before. A range that reaches the cold
    // tier hashes all its rows, warm and archived, with the same expressions (event-sql.ts,
    // ID_HASHES), so it counts as a warm-only range would.
    statements: [
      `ALTER TABLE {db}.events
        ADD COLUMN IF NOT EXISTS visitor_hash UInt64 MATERIALIZED cityHash64(visitor_id)`,
      `ALTER TABLE {db}.events
        ADD COLUMN IF NOT EXISTS session_hash Nullable(UInt64) MATERIALIZED cityHash64(session_id)`,
      `ALTER TABLE {db}.events MATERIALIZE COLUMN visitor_hash`,
      `ALTER TABLE {db}.events MATERIALIZE COLUMN session_hash`,
    ],
  },
  {
    version: 9,
    description:
      'events sorted by customer, hour and event_id: reads of a time range skip the rest',
    // The dashboard reads the last hours of a customer; sorted by (customer_id, event_id) every
    // query read the whole of each day partition it touched, and FINAL merged all of it. The
    // hour is stable for every copy of an event (the writer stores copies at the first copy's
    // timestamp), so copies still share a key and fold. Parts written as a live stream arrives
    // then hold stretches of time that FINAL need not merge with each other, where with the
    // old key every part held ids from the whole id range (random ids: Segment's clients).
    // `npm run bench -- dashboard-queries`, 10M events in time order, the old key's run beside
    // (issue 14): p50 of the panels 0.34-0.59 of the old key's, top users 212 vs 551 ms. The
    // writer's duplicate lookup reads the hours around each event instead of every day
    // (first-stored-times.ts). A table's sorting key cannot be changed in place, so the rows
    // are copied, a day at a time, into a new table that then takes the name; the views on
    // `events` follow the name. It takes about 4 s per million events; writers of other
    // processes may go on meanwhile (see sortEventsByHour), but this process writes nothing
    // until it is done.
    statements: [],
    run: sortEventsByHour,
  },
];

/** The sorting key of `events` from migration 9 on, as system.tables spells it. */
export const EVENTS_SORTING_KEY = 'customer_id, toStartOfHour(timestamp), event_id';

/**
 * Migration 9: copies `events` into a table sorted by EVENTS_SORTING_KEY and exchanges the
 * two. Writers of other processes may go on meanwhile (a rolling upgrade): a view feeds every
 * insert into `events` to the copy as well from before the copy starts, and inserts already
 * running then are waited for, so no row lands in the old table after its day was copied
 * without reaching the copy. A row that reaches the copy twice (fed and copied) is one row
 * under FINAL and folds in the next merge, like a resent event. A run cut short before the
 * exchange leaves `events` as it was and the copy is started again; after it, only the old
 * table and the view are left to drop.
 */
async function sortEventsByHour(
  client: ClickHouseClient,
  database: string,
  lock: SchemaLock,
): Promise<void> {
  const copy = `${database}.events_by_hour`;
  const feed = `${database}.events_by_hour_feed`;
  const read = async <T>(query: string): Promise<T[]> =>
    (await client.query({ query, query_params: { database }, format: 'JSONEachRow' })).json<T>();
  const [events] = await read<{ sorting_key: string }>(
    `SELECT sorting_key FROM system.tables WHERE database = {database:String} AND name = 'events'`,
  );
  if (events?.sorting_key !== EVENTS_SORTING_KEY) {
    await client.command({ query: `DROP VIEW IF EXISTS ${feed}` });
    await client.command({ query: `DROP TABLE IF EXISTS ${copy}` });
    await client.command({
      query: `CREATE TABLE ${copy} AS ${database}.events
        ENGINE = ReplacingMergeTree
        PARTITION BY toYYYYMMDD(timestamp)
        ORDER BY (${EVENTS_SORTING_KEY})
        SETTINGS non_replicated_deduplication_window = 0, fsync_after_insert = 1,
          fsync_part_directory = 1`,
    });
    // `SELECT *` leaves out the MATERIALIZED id hashes, which the copy computes again.
    await client.command({
      query: `CREATE MATERIALIZED VIEW ${feed} TO ${copy} AS SELECT * FROM ${database}.events`,
    });
    await awaitRunningInserts(client);
    const partitions = await read<{ id: string }>(
      `SELECT DISTINCT partition_id AS id FROM system.parts
        WHERE database = {database:String} AND table = 'events' AND active ORDER BY id`,
    );
    // A day per INSERT: a server's request stays short.
    for (const { id } of partitions) {
      await client.command({
        query: `INSERT INTO ${copy} SELECT * FROM ${database}.events
          WHERE _partition_id = {id:String}`,
        query_params: { id },
      });
    }
    await lock.check();
    // The view's ends follow the names: from here it feeds the new `events` into the old.
    await client.command({ query: `EXCHANGE TABLES ${database}.events AND ${copy}` });
  }
  await client.command({ query: `DROP VIEW IF EXISTS ${feed}` });
  await client.command({ query: `DROP TABLE IF EXISTS ${copy}` });
}

/** The longest migration 9 waits for inserts that were running when its feed view appeared. */
const RUNNING_INSERTS_WAIT_MS = 600_000;

/**
 * Waits until every INSERT running on the server now has ended (chdb runs one query at a
 * time, so there it finds none). An insert resolves the views of its table when it starts.
 */
async function awaitRunningInserts(client: ClickHouseClient): Promise<void> {
  const running = async () =>
    (
      await (
        await client.query({
          query: `SELECT query_id FROM system.processes WHERE query_kind = 'Insert'`,
          format: 'JSONEachRow',
        })
      ).json<{ query_id: string }>()
    ).map((row) => row.query_id);
  const before = new Set(await running());
  const deadline = Date.now() + RUNNING_INSERTS_WAIT_MS;
  while (before.size > 0) {
    const now = new Set(await running());
    for (const id of before) if (!now.has(id)) before.delete(id);
    if (before.size === 0) return;
    if (Date.now() > deadline) {
      throw new WarehouseError(
        'unavailable',
        `migration 9 waited ${RUNNING_INSERTS_WAIT_MS} ms for inserts to end: ${[...before].join(', ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Creates the database and applies every migration newer than the recorded version, in
 * order; returns the version now in place. Running it again is a no-op.
 *
 * A step is recorded only after all its statements ran; the statements are
 * `IF NOT EXISTS`, so a step cut short by a crash is simply run again.
 */
export async function applyMigrations(
  client: ClickHouseClient,
  database: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations (
      version UInt32,
      applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = MergeTree ORDER BY version`,
  });
  const recorded = async (): Promise<number> => {
    const result = await client.query({
      query: `SELECT max(version) AS version FROM ${database}.schema_migrations`,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ version: number }>();
    return Number(row?.version ?? 0);
  };
  const latest = Math.max(0, ...migrations.map((migration) => migration.version));
  const found = await recorded();
  if (found >= latest) return found;
  // Another process may have applied some while this one waited for the lock.
  return withSchemaLock(client, database, async (lock) => {
    let current = await recorded();
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      for (const statement of migration.statements) {
        await client.command({ query: statement.replaceAll('{db}', database) });
      }
      await migration.run?.(client, database, lock);
      await client.insert({
        table: `${database}.schema_migrations`,
        values: [{ version: migration.version }],
        format: 'JSONEachRow',
      });
      current = migration.version;
    }
    return current;
  });
}
