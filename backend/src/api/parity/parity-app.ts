import { Hono } from 'hono';
import { z } from 'zod';
import type { ApiContext } from '../api-context';
import { ApiError } from '../../errors/api-error';
import { readJsonBody } from '../../errors/read-json-body';
import { log } from '../../log';
import { requireSecretKey, type CustomerVariables } from '../../triggers/require-secret-key';
import { internalHostProblem, publicOnlyFetch } from '../../triggers/webhook-guard';
import { eventSource } from '../graphql/tiered-events';
import { fetchLegacyCounts } from './legacy-counts';
import {
  parityReport,
  type HourlyCount,
  type ParityReport,
  type SystemNumbers,
} from './parity-report';

type Env = { Variables: CustomerVariables };

/** Settings document of a customer's legacy count endpoint (StateStore documents). */
const PARITY_KIND = 'parity';
const SOURCE_ID = 'legacy-source';
const HOUR_MS = 3_600_000;
/** Longest range one report covers: the hours of 31 days. */
export const MAX_PARITY_HOURS = 31 * 24;

const sourceSchema = z.object({ url: z.url({ protocol: /^https?$/ }).max(2048) });
const rangeSchema = z.object({
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
});

export interface ParityAppOptions {
  /** How the legacy endpoint is called. @default public addresses only, unless allowPrivateWebhooks */
  fetch?: typeof fetch;
  /** Hears every report (metrics: the largest discrepancy per customer). */
  onReport?: (customer: string, report: ParityReport) => void;
}

/**
 * Migration parity (docs/architecture.md, "Routing per customer"), under `/v1/parity` with a
 * secret key: while a customer runs in `shadow`, the legacy pipeline and Pulse both count its
 * events, and this compares them hour by hour and event type by type.
 *
 * - `PUT /v1/parity/source` `{ "url" }`: the customer's legacy count endpoint (see legacy-counts.ts)
 * - `GET /v1/parity?from=…&to=…`: the report; rows above 0.1% apart have `alert: true`, and an
 *   alerting report is logged (warn) and counted in `pulse_parity_alerts_total`.
 */
export function createParityApp(context: ApiContext, options: ParityAppOptions = {}): Hono<Env> {
  const app = new Hono<Env>();
  const fetchImpl = options.fetch ?? (context.allowPrivateWebhooks ? fetch : publicOnlyFetch());
  app.use('*', requireSecretKey(context.keys));

  app.put('/source', async (c) => {
    const json = await readJsonBody(c);
    const parsed = sourceSchema.safeParse(json);
    if (!parsed.success) throw new ApiError('invalid_request', 'url: an http(s) URL is required');
    const internal = context.allowPrivateWebhooks ? null : internalHostProblem(parsed.data.url);
    if (internal) throw new ApiError('invalid_request', `url: ${internal}`);
    await context.store.putDocument(c.var.customer, PARITY_KIND, SOURCE_ID, parsed.data);
    return c.json(parsed.data, 200);
  });

  app.get('/', async (c) => {
    const customer = c.var.customer;
    const range = rangeSchema.safeParse({ from: c.req.query('from'), to: c.req.query('to') });
    if (!range.success)
      throw new ApiError('invalid_request', 'from and to: ISO 8601 times are required');
    // Whole hours: the report's rows are hours.
    const from = Math.floor(Date.parse(range.data.from) / HOUR_MS) * HOUR_MS;
    const to = Math.ceil(Date.parse(range.data.to) / HOUR_MS) * HOUR_MS;
    if (to <= from || (to - from) / HOUR_MS > MAX_PARITY_HOURS) {
      throw new ApiError(
        'invalid_request',
        `from must be before to, at most ${MAX_PARITY_HOURS} hours apart`,
      );
    }
    const source = (await context.store.getDocument(customer, PARITY_KIND, SOURCE_ID)) as
      z.infer<typeof sourceSchema> | undefined;
    if (!source)
      throw new ApiError('not_found', 'no legacy count endpoint: PUT /v1/parity/source first');

    const bounds = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
    const [legacy, pulse] = await Promise.all([
      fetchLegacyCounts(fetchImpl, source.url, { customer, ...bounds }),
      pulseNumbers(context, customer, from, to),
    ]);
    const report = parityReport(bounds, legacy, pulse);
    if (report.alert) {
      log.warn(
        {
          customer,
          from: bounds.from,
          to: bounds.to,
          totals: report.totals,
          alerting: report.rows.filter((r) => r.alert).length,
        },
        'parity: Pulse and the legacy pipeline differ by more than 0.1%',
      );
    }
    options.onReport?.(customer, report);
    return c.json(report, 200);
  });

  return app;
}

/**
 * Pulse's distinct events of a customer per hour and type, and distinct visitors per hour
 * (the dashboard's number), in [from, to) (ms): from the warehouse, and for hours older than
 * the warm tier from the archive, as the dashboard reads.
 */
async function pulseNumbers(
  context: ApiContext,
  customer: string,
  from: number,
  to: number,
): Promise<SystemNumbers> {
  const source = eventSource(context, customer, { from, to });
  const rows = await context.warehouse.query<{
    hour: string;
    event_type: string;
    count: string;
    visitors: string;
  }>(
    `SELECT formatDateTime(toStartOfHour(timestamp), '%Y-%m-%dT%H:00:00.000Z', 'UTC') AS hour,
            event_type, toString(uniqExact(event_id)) AS count,
            toString(uniqExact(visitor_id)) AS visitors
       FROM ${source.sql}
      WHERE customer_id = {customer:String}
        AND timestamp >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
        AND timestamp < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
      GROUP BY GROUPING SETS ((hour, event_type), (hour))`,
    { ...source.params, customer, from, to },
  );
  const counts: HourlyCount[] = [];
  const visitors: SystemNumbers['visitors'] = [];
  for (const row of rows) {
    // The (hour) set leaves event_type at its default, ''.
    if (row.event_type === '') {
      visitors.push({ hour: row.hour, unique_visitors: Number(row.visitors) });
    } else {
      counts.push({ hour: row.hour, event_type: row.event_type, count: Number(row.count) });
    }
  }
  return { counts, visitors };
}
