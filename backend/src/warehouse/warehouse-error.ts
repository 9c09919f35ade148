/**
 * Why a warehouse call failed: `invalid_row` (a value the schema cannot hold; a bug upstream,
 * retrying will not help), `unavailable` (ClickHouse or chdb failed; retry later), or
 * `invalid_option` (bad `createWarehouse` or `exportDay` options).
 */
export type WarehouseErrorCode = 'invalid_row' | 'unavailable' | 'invalid_option';

/** A warehouse failure with a stable `code` and a message that names what failed. */
export class WarehouseError extends Error {
  constructor(
    readonly code: WarehouseErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WarehouseError';
  }
}

export const isWarehouseError = (error: unknown): error is WarehouseError =>
  error instanceof WarehouseError;
