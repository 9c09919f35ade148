import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { createCustomerLabels } from '@pulse/backend/metrics/customer-labels';
import type { EdgeObserver } from '../../observe/edge-observer';

/** Label of requests refused before their write key named a customer. */
const NO_CUSTOMER = '_none';

/** The Node edge's observer as Prometheus counters, and the registry `/metrics` serves. */
export function createPrometheusObserver(options: { namedCustomers?: number } = {}): {
  observer: EdgeObserver;
  registry: Registry;
} {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pulse_edge_' });
  const customer = createCustomerLabels(options.namedCustomers);
  const registers = [registry];
  const requests = new Counter({
    name: 'pulse_edge_requests_total',
    help: 'Requests answered, per customer, route, status and code (rate_limited: the limit was hit).',
    labelNames: ['customer', 'route', 'status', 'code'],
    registers,
  });
  const accepted = new Counter({
    name: 'pulse_edge_events_accepted_total',
    help: 'Events made durable by the edge, per customer.',
    labelNames: ['customer'],
    registers,
  });
  const rejected = new Counter({
    name: 'pulse_edge_events_rejected_total',
    help: 'Events refused (to the dead letters), per customer and code.',
    labelNames: ['customer', 'code'],
    registers,
  });
  const dropped = new Counter({
    name: 'pulse_edge_client_dropped_total',
    help: 'Events browsers reported dropping for storage space, per customer.',
    labelNames: ['customer'],
    registers,
  });
  return {
    registry,
    observer: {
      request(outcome) {
        requests.inc({
          customer: outcome.customer === null ? NO_CUSTOMER : customer(outcome.customer),
          route: outcome.route,
          status: String(outcome.status),
          code: outcome.code,
        });
      },
      ingested(outcome) {
        const label = customer(outcome.customer);
        accepted.inc({ customer: label }, outcome.accepted);
        for (const [code, count] of Object.entries(outcome.rejected)) {
          rejected.inc({ customer: label, code }, count);
        }
        if (outcome.clientDropped) dropped.inc({ customer: label }, outcome.clientDropped);
      },
    },
  };
}
