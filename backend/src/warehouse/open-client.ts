import { closeSync, fstatSync, mkdirSync, openSync } from 'node:fs';
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
  detachStdin();
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

/**
 * Points this process's fd 0 at /dev/null when it is a pipe, socket or file.
 *
 * chdb takes the host process's stdin as the external data of every INSERT (chdb-core#239):
 * while a byte waits there, each insert fails with "Processing async inserts with both inlined
 * and external data (from stdin or infile)", and with `async_insert=0` it would store the
 * bytes as rows. A backend started with its stdin on a pipe (a supervisor, `cmd | pulse`) would
 * refuse every batch. A terminal or /dev/null (a character device) is left alone. Nothing in
 * the backend reads stdin; closing fd 0 and opening /dev/null reuses the lowest free
 * descriptor, which is 0.
 */
function detachStdin(): void {
  try {
    if (fstatSync(0).isCharacterDevice()) return;
    closeSync(0);
  } catch {
    // fd 0 is closed: the next descriptor opened (a socket, say) would become chdb's stdin.
  }
  const fd = openSync('/dev/null', 'r');
  if (fd !== 0) {
    closeSync(fd);
    throw new WarehouseError('unavailable', `could not point stdin at /dev/null (got fd ${fd})`);
  }
}

/** The client `createWarehouse` uses: a ClickHouse server when `url` is given, else chdb. */
export function openClient(options: WarehouseOptions): ClickHouseClient {
  if (options.url) return createClient({ url: options.url });
  return openChdbClient(options.path ?? DEFAULT_WAREHOUSE_PATH);
}
