import { mkdirSync, renameSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { sqlLiteral as literal } from './sql-literal';
import { WarehouseError } from './warehouse-error';

/**
 * Where the cold tier's and the exports' files live: a local directory, or a bucket (and
 * prefix) of an S3-compatible object store. ClickHouse reads and writes both itself, with
 * `file()` or `s3()` and the same SQL around them; nothing else touches the files.
 */
export type FileStore =
  | { kind: 'dir'; dir: string }
  | {
      kind: 's3';
      /** `http(s)://host[:port]/bucket[/prefix]` (path style), or an AWS virtual-host URL. */
      url: string;
      /** None: unsigned requests (a public bucket, or an S3 server that allows anonymous). */
      credentials?: { accessKeyId: string; secretAccessKey: string };
    };

/**
 * The store at `location`: an absolute directory, or an `http(s)://` URL of a bucket (with
 * `credentials` to sign requests). Trailing slashes are dropped.
 */
export function fileStore(
  location: string,
  credentials?: { accessKeyId: string; secretAccessKey: string },
): FileStore {
  if (/^https?:\/\//.test(location)) {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw new WarehouseError('invalid_option', `not a bucket URL: ${location}`);
    }
    if (url.username || url.password || url.search || url.hash || url.pathname === '/') {
      throw new WarehouseError(
        'invalid_option',
        `a bucket URL is http(s)://host/bucket[/prefix], credentials apart: ${url.origin}`,
      );
    }
    return { kind: 's3', url: location.replace(/\/+$/, ''), credentials };
  }
  if (!isAbsolute(location)) {
    throw new WarehouseError(
      'invalid_option',
      `a file store is an absolute directory or an http(s):// bucket URL: ${location}`,
    );
  }
  return { kind: 'dir', dir: location.replace(/\/+$/, '') || '/' };
}

/** Where the store is, for logs and answers: never the credentials. */
export const storeLocation = (store: FileStore): string =>
  store.kind === 'dir' ? store.dir : store.url;

/** The absolute path or URL of `relative` (a file or a glob under the store). */
const locate = (store: FileStore, relative: string) =>
  store.kind === 'dir' ? join(store.dir, relative) : `${store.url}/${relative}`;

/**
 * A table function over `relative` (a file or a glob) in `format`, as a FROM item or an
 * `INSERT INTO FUNCTION` target. With `structure` the columns are given, so that a missing
 * file reads as empty (with `storeSettings`) instead of failing to infer them.
 */
export function storeTable(
  store: FileStore,
  relative: string,
  format: string,
  structure?: string,
): string {
  const args = [literal(locate(store, relative))];
  if (store.kind === 's3') {
    const { credentials } = store;
    args.push(
      ...(credentials
        ? [literal(credentials.accessKeyId), literal(credentials.secretAccessKey)]
        : ['NOSIGN']),
    );
  }
  args.push(literal(format));
  if (structure) args.push(literal(structure));
  return `${store.kind === 'dir' ? 'file' : 's3'}(${args.join(', ')})`;
}

/**
 * How long ClickHouse may try a bucket: a store that refuses or does not answer fails the
 * query in seconds (ClickHouse's own default retries for minutes, which would hold every
 * archiver run and export behind one customer's broken bucket). Transient errors still get
 * a few retries.
 */
const S3_LIMITS = {
  s3_retry_attempts: 3,
  s3_connect_timeout_ms: 3_000,
  s3_request_timeout_ms: 30_000,
} as const;

/**
 * The query settings of a read (`read`: a missing file, or a glob that matches none, reads as
 * no rows) or a write (`write`: a file is replaced whole) on the store.
 */
export function storeSettings(store: FileStore, use: 'read' | 'write'): Record<string, number> {
  if (store.kind === 'dir') {
    return use === 'read'
      ? { engine_file_empty_if_not_exists: 1 }
      : { engine_file_truncate_on_insert: 1 };
  }
  return use === 'read'
    ? { s3_ignore_file_doesnt_exist: 1, ...S3_LIMITS }
    : { s3_truncate_on_insert: 1, ...S3_LIMITS };
}

/**
 * The rows of `relative` (a file or a glob) with the columns of `structure`, as a FROM item
 * that reads a missing file as no rows wherever it is used (the settings travel with it).
 */
export function storeRows(
  store: FileStore,
  relative: string,
  format: string,
  structure: string,
): string {
  const settings = Object.entries(storeSettings(store, 'read')).map(
    ([name, value]) => `${name} = ${value}`,
  );
  return `(SELECT * FROM ${storeTable(store, relative, format, structure)} SETTINGS ${settings.join(', ')})`;
}

/**
 * Writes the rows of `select` as the whole file `relative`, replacing the one there at once:
 * a reader sees the old file or the new one, never half of one (a directory's file is written
 * beside it and renamed; an object store replaces an object on the upload's completion).
 * `select` may read the file it replaces.
 */
export async function replaceFile(
  client: ClickHouseClient,
  store: FileStore,
  relative: string,
  options: {
    format: string;
    structure?: string;
    select: string;
    params?: Record<string, unknown>;
    /** Settings of the select (e.g. how it reads FINAL). */
    settings?: Record<string, number>;
  },
): Promise<void> {
  const { format, structure, select, params, settings } = options;
  const path = locate(store, relative);
  const target = store.kind === 'dir' ? `${relative}.tmp` : relative;
  if (store.kind === 'dir') mkdirSync(dirname(path), { recursive: true });
  await client.command({
    query: `INSERT INTO FUNCTION ${storeTable(store, target, format, structure)} ${select}`,
    query_params: params,
    clickhouse_settings: {
      ...settings,
      ...storeSettings(store, 'read'),
      ...storeSettings(store, 'write'),
    },
  });
  if (store.kind === 'dir') renameSync(`${path}.tmp`, path);
}

/**
 * Checks that the store takes writes, at start rather than at the first archiver run: a bucket
 * gets one small object at its root, `pulse-store.json` (an S3-compatible server that creates
 * buckets on first write creates it then; AWS answers NoSuchBucket or AccessDenied, which
 * stops the start with that reason). A listing over a bucket that does not exist fails, over
 * an empty one it finds nothing: afterwards reads before the first file work.
 */
export async function checkStore(client: ClickHouseClient, store: FileStore): Promise<void> {
  if (store.kind === 'dir') {
    mkdirSync(store.dir, { recursive: true });
    return;
  }
  await client.command({
    query: `INSERT INTO FUNCTION ${storeTable(store, 'pulse-store.json', 'JSONEachRow', 'written_by String')}
      SELECT 'pulse'`,
    clickhouse_settings: storeSettings(store, 'write'),
  });
}

/**
 * The file of a row (ClickHouse's `_path`: a local path, or `bucket/key` for `s3()`) relative
 * to the store, found by the first directory named `marker=` (the Hive layout's first key).
 */
export function relativeOf(path: string, marker: string): string {
  const at = path.indexOf(`/${marker}=`);
  if (at < 0) throw new WarehouseError('unavailable', `not a file of the store: ${path}`);
  return path.slice(at + 1);
}
