import { Hono } from 'hono';
import { z } from 'zod';
import type { ApiContext } from '../api-context';
import { ApiError } from '../../errors/api-error';
import { readJsonBody } from '../../errors/read-json-body';
import { isWarehouseError } from '../../warehouse/warehouse-error';
import { requireSecretKey, type CustomerVariables } from '../../triggers/require-secret-key';

type Env = { Variables: CustomerVariables };

const requestSchema = z.object({ day: z.iso.date() });

/**
 * Exports for a customer's own warehouse (README, "Export to Snowflake or BigQuery"), under
 * `/v1/exports` with a secret key:
 *
 * - `POST /v1/exports` `{ "day": "2026-11-01" }`: writes that UTC day of the key's customer's
 *   events to the customer's own destination (`PULSE_EXPORT_DESTINATIONS`, in its formats), or
 *   else as Parquet and NDJSON under the backend's export directory or bucket
 *   (`PULSE_EXPORT_DIR`, `PULSE_EXPORT_URL`), in the `customer_id=…/dt=…/` layout, and
 *   answers `{ day, rows, files }`. Running it again rewrites the same files with the same
 *   bytes, so a scheduler may retry it freely.
 *
 * Without an export store the backend answers 404 `not_found`.
 */
export function createExportApp(context: ApiContext): Hono<Env> {
  const app = new Hono<Env>();
  app.use('*', requireSecretKey(context.keys));
  app.post('/', async (c) => {
    const own = context.exportDestinations?.get(c.var.customer);
    const to = own?.to ?? context.exportTo;
    if (!to) {
      throw new ApiError(
        'not_found',
        'exports are not set up on this backend (PULSE_EXPORT_DIR or PULSE_EXPORT_URL)',
      );
    }
    const json = await readJsonBody(c);
    const parsed = requestSchema.safeParse(json);
    if (!parsed.success)
      throw new ApiError('invalid_request', 'day: a date (YYYY-MM-DD) is required');
    try {
      const result = await context.warehouse.exportDay(
        c.var.customer,
        parsed.data.day,
        to,
        own?.formats ?? ['parquet', 'ndjson'],
      );
      return c.json(result, 200);
    } catch (error) {
      if (isWarehouseError(error) && error.code === 'invalid_option') {
        throw new ApiError('invalid_request', error.message);
      }
      throw error;
    }
  });
  return app;
}
