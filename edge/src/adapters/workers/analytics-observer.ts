import type { EdgeObserver } from '../../observe/edge-observer';
import { jsonLog, type EdgeLog } from '../../observe/edge-log';

/** The part of a Workers Analytics Engine dataset binding the observer uses. */
export interface DataPointWriter {
  writeDataPoint(point: { indexes?: string[]; blobs?: string[]; doubles?: number[] }): void;
}

/**
 * The edge's telemetry on Workers. Each answer and each ingest is one data point of the
 * Analytics Engine dataset bound as `METRICS` (wrangler.toml), indexed by customer (the
 * sampling key), so the same counters as the Node edge's `/metrics` are SQL queries there:
 * - answers: blobs `['request', route, code]`, doubles `[status]`;
 * - ingests: blobs `['ingest']`, doubles `[accepted, rejected, client_dropped]`.
 * A refused answer is also one line of the JSON log (Workers Logs, `[observability]`), with its
 * code: `warn` for a 4xx, `error` for a 5xx.
 */
export function createAnalyticsObserver(
  dataset: DataPointWriter | undefined,
  log: EdgeLog = jsonLog(),
): EdgeObserver {
  return {
    request(outcome) {
      const customer = outcome.customer ?? '_none';
      dataset?.writeDataPoint({
        indexes: [customer],
        blobs: ['request', outcome.route, outcome.code],
        doubles: [outcome.status],
      });
      if (outcome.status >= 400) {
        const fields = {
          customer,
          route: outcome.route,
          status: outcome.status,
          code: outcome.code,
        };
        if (outcome.status >= 500) log.error(fields, 'request refused');
        else log.warn(fields, 'request refused');
      }
    },
    ingested(outcome) {
      let rejected = 0;
      for (const count of Object.values(outcome.rejected)) rejected += count;
      dataset?.writeDataPoint({
        indexes: [outcome.customer],
        blobs: ['ingest'],
        doubles: [outcome.accepted, rejected, outcome.clientDropped],
      });
    },
  };
}
