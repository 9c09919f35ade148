import type { EdgeObserver } from '../../observe/edge-observer';

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
 * A refused answer is also one JSON log line (Workers Logs, `[observability]`), with its code.
 */
export function createAnalyticsObserver(
  dataset: DataPointWriter | undefined,
  log: (line: string) => void = console.log,
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
        log(
          JSON.stringify({
            level: outcome.status >= 500 ? 'error' : 'warn',
            msg: 'request refused',
            customer,
            route: outcome.route,
            status: outcome.status,
            code: outcome.code,
          }),
        );
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
