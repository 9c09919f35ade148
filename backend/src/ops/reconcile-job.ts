import { log } from '../log';
import type { BackendMetrics } from '../metrics/backend-metrics';
import type { KafkaWitness, ReconcileReport } from '../warehouse/reconcile';
import type { Warehouse } from '../warehouse/warehouse';

/** How far back each run looks: the last day of closed hours. */
export const RECONCILE_WINDOW_MS = 24 * 3_600_000;
/** Longest wait for the operator's webhook. */
const WEBHOOK_TIMEOUT_MS = 10_000;

export interface ReconcileJobOptions {
  warehouse: Warehouse;
  metrics: BackendMetrics;
  /** The operator's alert webhook: a run with an alert is POSTed there as JSON. */
  alertWebhook?: string;
  /** Kafka's side (kafka/witness.ts); without it, the warehouse, the archive and the rollups. */
  kafka?: KafkaWitness;
  fetch?: typeof fetch;
}

/**
 * One run of the batch path's hourly reconciliation over the last day (reconcile.ts): what it
 * healed is logged and counted; what it could not heal, above 0.1% of an hour, is an alert: a
 * metric (`pulse_reconciliation_alerts_total`), a warn line and a POST to the operator's
 * webhook with the gaps.
 */
export async function runReconciliation(
  options: ReconcileJobOptions,
  now = Date.now(),
): Promise<ReconcileReport> {
  const report = await options.warehouse.reconcile(
    now - RECONCILE_WINDOW_MS,
    now,
    now,
    options.kafka,
  );
  options.metrics.reconciled(report);
  const healed = report.gaps.reduce((n, gap) => n + gap.healed, 0);
  const fromKafka = report.gaps.reduce((n, gap) => n + gap.healed_from_kafka, 0);
  if (healed) {
    log.info(
      { healed, from_kafka: fromKafka, gaps: report.gaps.length, from: report.from, to: report.to },
      `reconciliation: copied ${healed} events back into the warehouse (${healed - fromKafka} from the archive, ${fromKafka} from Kafka)`,
    );
  }
  for (const error of report.errors) log.warn({ from: report.from, to: report.to }, error);
  if (!report.alert) return report;
  const alerting = report.gaps.filter((gap) => gap.alert);
  log.warn(
    { from: report.from, to: report.to, alerting },
    'reconciliation: events are missing from the warehouse or the archive and could not be healed',
  );
  if (options.alertWebhook) {
    try {
      const res = await (options.fetch ?? fetch)(options.alertWebhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'pulse_reconciliation', ...report, gaps: alerting }),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`answered ${res.status}`);
    } catch (error) {
      log.error({ err: error }, `reconciliation: the alert webhook failed: ${String(error)}`);
    }
  }
  return report;
}
