import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeadLetter, SinkBatch } from '@pulse/contract';
import type { ParityReport } from '../api/parity/parity-report';
import type { ProcessedBatch } from '../processor/processor';
import type { ReconcileReport } from '../warehouse/reconcile';
import { createCustomerLabels } from './customer-labels';

/** Seconds from the edge's receipt of an event to the processor's commit of it. */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300];
/** Seconds of one write to Kafka or the warehouse. */
const WRITE_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

export type Outcome = 'ok' | 'error';

/**
 * The backend's Prometheus metrics (`/metrics` of the ops server, see ops-server.ts): one
 * registry per backend, so two backends in one process (the tests) count apart. Customer
 * labels are bounded (customer-labels.ts).
 */
export interface BackendMetrics {
  readonly registry: Registry;
  /** A batch the ingest sink made durable (accepted events, dead letters, client drops). */
  ingested(batch: SinkBatch, seconds: number): void;
  /** A batch the ingest sink failed to make durable (the edge answered 503). */
  ingestFailed(seconds: number): void;
  /** A record or event the processor quarantined to the dead letters. */
  quarantined(letter: DeadLetter): void;
  /** An outbox entry parked after repeated deterministic write-out failures. */
  parked(): void;
  /** A batch the processor committed: its events' edge-to-commit latency. */
  committed(batch: ProcessedBatch, now: number): void;
  /** Messages behind the end of a partition after the processor's last batch of it. */
  consumerLag(topic: string, partition: number, lag: number): void;
  warehouseWrite(seconds: number, outcome: Outcome): void;
  webhookAttempt(outcome: 'delivered' | 'failed' | 'retry'): void;
  /** A parity report of a customer (migration): its discrepancy, and whether it alerted. */
  parity(customer: string, report: ParityReport): void;
  /** A reconciliation run (batch path): events healed, still missing, and alerts. */
  reconciled(report: ReconcileReport): void;
  /** A day of a customer the scheduled export wrote (with its events), or a run that failed. */
  exported(customer: string, outcome: 'ok' | 'failed', events: number): void;
  /** Reads the number of live GraphQL subscriptions (SSE) at each scrape. */
  countSubscribers(read: () => number): void;
  /** Reads, at each scrape, whether this process's TS processor may process now (its lease). */
  leadsProcessing(read: () => boolean): void;
}

export function createBackendMetrics(options: { namedCustomers?: number } = {}): BackendMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pulse_backend_' });
  const customer = createCustomerLabels(options.namedCustomers);
  const registers = [registry];

  const accepted = new Counter({
    name: 'pulse_events_accepted_total',
    help: 'Events made durable by ingest, per customer.',
    labelNames: ['customer'],
    registers,
  });
  const rejected = new Counter({
    name: 'pulse_events_rejected_total',
    help: 'Events the edge rejected (dead letters of ingest batches), per customer and code.',
    labelNames: ['customer', 'code'],
    registers,
  });
  const clientDropped = new Counter({
    name: 'pulse_client_dropped_total',
    help: 'Events browsers reported dropping for storage space (client_dropped), per customer.',
    labelNames: ['customer'],
    registers,
  });
  const sinkWrite = new Histogram({
    name: 'pulse_ingest_write_seconds',
    help: 'Time to make one ingest batch durable (Kafka acks=all, or the embedded processor).',
    labelNames: ['outcome'],
    buckets: WRITE_BUCKETS,
    registers,
  });
  const deadLetters = new Counter({
    name: 'pulse_dead_letters_total',
    help: 'Records and events the processor quarantined to the dead letters, per customer and code.',
    labelNames: ['customer', 'code'],
    registers,
  });
  const parked = new Counter({
    name: 'pulse_outbox_parked_total',
    help: 'Outbox entries parked to the dead letters after repeated deterministic write-out failures.',
    registers,
  });
  const committedEvents = new Counter({
    name: 'pulse_events_committed_total',
    help: 'Events (duplicates included) in batches the processor committed, per customer.',
    labelNames: ['customer'],
    registers,
  });
  const commitLatency = new Histogram({
    name: 'pulse_event_commit_latency_seconds',
    help: "Seconds from the edge's receipt of an event (received_at) to the processor's commit.",
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const lag = new Gauge({
    name: 'pulse_consumer_lag',
    help: "Messages behind a partition's end after the processor's last batch of it.",
    labelNames: ['topic', 'partition'],
    registers,
  });
  const warehouseWrite = new Histogram({
    name: 'pulse_warehouse_write_seconds',
    help: 'Time of one warehouse write (events, links, changes).',
    labelNames: ['outcome'],
    buckets: WRITE_BUCKETS,
    registers,
  });
  const webhooks = new Counter({
    name: 'pulse_webhook_attempts_total',
    help: 'Trigger webhook attempts by outcome (retry: failed, another attempt follows).',
    labelNames: ['outcome'],
    registers,
  });
  const parityDiscrepancy = new Gauge({
    name: 'pulse_parity_discrepancy',
    help: 'Share by which Pulse and the legacy pipeline differ in the last parity report, per customer.',
    labelNames: ['customer'],
    registers,
  });
  const parityAlerts = new Counter({
    name: 'pulse_parity_alerts_total',
    help: 'Parity reports with an hour and event type more than 0.1% apart, per customer.',
    labelNames: ['customer'],
    registers,
  });
  const reconcileHealed = new Counter({
    name: 'pulse_reconciliation_healed_events_total',
    help: 'Events the reconciliation copied back into the warehouse, per customer and source (archive, kafka).',
    labelNames: ['customer', 'from'],
    registers,
  });
  const reconcileMissing = new Gauge({
    name: 'pulse_reconciliation_missing_events',
    help: 'Events the last reconciliation found missing from the warehouse or the archive and could not heal, per customer.',
    labelNames: ['customer'],
    registers,
  });
  const reconcileAlerts = new Counter({
    name: 'pulse_reconciliation_alerts_total',
    help: 'Reconciliation runs that found a customer hour more than 0.1% short after healing, per customer.',
    labelNames: ['customer'],
    registers,
  });
  const exportedDays = new Counter({
    name: 'pulse_exported_days_total',
    help: 'Days the scheduled export wrote to a customer destination (ok), or runs of it that failed, per customer.',
    labelNames: ['customer', 'outcome'],
    registers,
  });
  const exportedEvents = new Counter({
    name: 'pulse_exported_events_total',
    help: 'Events written by the scheduled export (a day written again counts again), per customer.',
    labelNames: ['customer'],
    registers,
  });
  let readSubscribers = () => 0;
  new Gauge({
    name: 'pulse_sse_subscribers',
    help: 'Live GraphQL subscriptions (SSE) open now.',
    registers,
    collect() {
      this.set(readSubscribers());
    },
  });

  let readLeading = () => false;
  new Gauge({
    name: 'pulse_processor_leading',
    help: 'Whether this process runs the TS processor and may process now: 1, or 0 (no processor, or a standby waiting for the processor lease). Exactly one process of a consumer group should read 1.',
    registers,
    collect() {
      this.set(readLeading() ? 1 : 0);
    },
  });

  return {
    registry,
    ingested(batch, seconds) {
      sinkWrite.observe({ outcome: 'ok' }, seconds);
      const perCustomer = new Map<string, number>();
      for (const event of batch.events) {
        perCustomer.set(event.customer_id, (perCustomer.get(event.customer_id) ?? 0) + 1);
      }
      for (const [id, count] of perCustomer) accepted.inc({ customer: customer(id) }, count);
      for (const letter of batch.dead_letters) {
        rejected.inc({ customer: customer(letter.customer_id), code: letter.code });
      }
      if (batch.client_dropped) {
        clientDropped.inc({ customer: customer(batch.customer_id) }, batch.client_dropped);
      }
    },
    ingestFailed(seconds) {
      sinkWrite.observe({ outcome: 'error' }, seconds);
    },
    quarantined(letter) {
      deadLetters.inc({ customer: customer(letter.customer_id), code: letter.code });
    },
    parked() {
      parked.inc();
    },
    committed(batch, now) {
      batch.receivedAt.forEach((at, i) => {
        commitLatency.observe(Math.max(0, now - at) / 1000);
        const id = batch.eventKeys[i]?.split('/')[0];
        if (id) committedEvents.inc({ customer: customer(id) });
      });
    },
    consumerLag(topic, partition, value) {
      lag.set({ topic, partition: String(partition) }, value);
    },
    warehouseWrite(seconds, outcome) {
      warehouseWrite.observe({ outcome }, seconds);
    },
    webhookAttempt(outcome) {
      webhooks.inc({ outcome });
    },
    parity(id, report) {
      const label = customer(id);
      parityDiscrepancy.set({ customer: label }, report.totals.discrepancy);
      if (report.alert) parityAlerts.inc({ customer: label });
    },
    reconciled(report) {
      const missing = new Map<string, number>();
      const alerting = new Set<string>();
      for (const gap of report.gaps) {
        const label = customer(gap.customer_id);
        const fromArchive = gap.healed - gap.healed_from_kafka;
        if (fromArchive) reconcileHealed.inc({ customer: label, from: 'archive' }, fromArchive);
        if (gap.healed_from_kafka) {
          reconcileHealed.inc({ customer: label, from: 'kafka' }, gap.healed_from_kafka);
        }
        missing.set(label, (missing.get(label) ?? 0) + gap.missing);
        if (gap.alert) alerting.add(label);
      }
      reconcileMissing.reset();
      for (const [label, n] of missing) reconcileMissing.set({ customer: label }, n);
      for (const label of alerting) reconcileAlerts.inc({ customer: label });
    },
    exported(id, outcome, events) {
      const label = customer(id);
      exportedDays.inc({ customer: label, outcome });
      if (events) exportedEvents.inc({ customer: label }, events);
    },
    countSubscribers(read) {
      readSubscribers = read;
    },
    leadsProcessing(read) {
      readLeading = read;
    },
  };
}
