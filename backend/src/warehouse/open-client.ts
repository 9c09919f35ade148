import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  createClient,
  type ClickHouseClient,
  type ClickHouseClientConfigOptions,
} from '@clickhouse/client';
import chdbConnection from 'chdb/connection';
import { WarehouseError } from './warehouse-error';
import type { WarehouseOptions } from './warehouse';

type Connection = NonNullable<ClickHouseClientConfigOptions['connection']>;

/** The default chdb directory, relative to the working directory. */
export const DEFAULT_WAREHOUSE_PATH = '.pulse/warehouse';

/**
 * A `@clickhouse/client` on the chdb engine of this process, with its data in `path`.
 *
 * chdb runs one engine per process: while a client is open on one directory, opening
 * another in the same process fails (`only one active data directory per process`). The
 * same directory may be opened by several clients at once; another directory can be opened
 * once every client of the first has closed. A second process is refused the directory
 * while the first lives (a lock on `<path>/status`); after a `kill -9` the kernel drops the
 * lock and the next open succeeds at once.
 */
export function openChdbClient(path: string): ClickHouseClient {
  const absolute = resolve(path);
  try {
    mkdirSync(absolute, { recursive: true });
    // chdb types its connection against @clickhouse/client-common, which the client bundles
    // as its own copy: the shapes are the same, the declarations are not.
    const connection = chdbConnection.createChdbConnection({
      path: absolute,
    }) as unknown as Connection;
    return createClient({ connection });
  } catch (error) {
    // chdb prints the reason (`Cannot lock file …/status. Another server instance in same
    // directory is already running`) to stderr and throws a bare "Failed to create connection".
    throw new WarehouseError(
      'unavailable',
      `could not open chdb at ${absolute} (one process per directory, one directory per ` +
        `process): ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    );
  }
}

/** The client `createWarehouse` uses: a ClickHouse server when `url` is given, else chdb. */
export function openClient(options: WarehouseOptions): ClickHouseClient {
  if (options.url) return createClient({ url: options.url });
  return openChdbClient(options.path ?? DEFAULT_WAREHOUSE_PATH);
}
