export { createWarehouse } from './create-warehouse';
export type { Warehouse, WarehouseBatch, WarehouseOptions } from './warehouse';
export { WarehouseError, isWarehouseError, type WarehouseErrorCode } from './warehouse-error';
export { openChdbClient, DEFAULT_WAREHOUSE_PATH } from './open-client';
export { fileStore, storeLocation, type FileStore } from './file-store';
