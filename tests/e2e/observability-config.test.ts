import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createBackendMetrics } from '../../backend/src/metrics/backend-metrics';
import { createPrometheusObserver } from '../../edge/src/adapters/node/prometheus-observer';

const dir = new URL('../../deploy/observability/', import.meta.url);

/** Every metric family the backend and the Node edge export, by name. */
async function exportedMetrics(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const registry of [createBackendMetrics().registry, createPrometheusObserver().registry]) {
    for (const metric of await registry.getMetricsAsJSON()) names.add(metric.name);
  }
  return names;
}

/** Metric families named in a PromQL expression (a histogram's series name their family). */
const namedIn = (expr: string) =>
  [...expr.matchAll(/\bpulse_[a-z0-9_]+/g)].map(([name]) =>
    name.replace(/_(bucket|count|sum)$/, ''),
  );

describe('the shipped dashboard and alert rules', () => {
  it('name only metrics Pulse exports, so a renamed metric fails here, not on a dark panel', async () => {
    const exported = await exportedMetrics();
    const dashboard = JSON.parse(readFileSync(new URL('grafana-dashboard.json', dir), 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const rules = (
      parse(readFileSync(new URL('alerts.yml', dir), 'utf8')) as {
        groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
      }
    ).groups.flatMap((group) => group.rules);

    const uses = [
      ...dashboard.panels.flatMap((panel) =>
        panel.targets.map((target) => ({ where: panel.title, expr: target.expr })),
      ),
      ...rules.map((rule) => ({ where: rule.alert, expr: rule.expr })),
    ];
    expect(uses.length).toBeGreaterThan(10);
    for (const { where, expr } of uses) {
      const names = namedIn(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(exported.has(name), `${where} reads ${name}`).toBe(true);
    }
  });

  it('cover lag, dead letters, commit latency, error rates and rate limits', async () => {
    const text = [
      readFileSync(new URL('grafana-dashboard.json', dir), 'utf8'),
      readFileSync(new URL('alerts.yml', dir), 'utf8'),
    ].join('\n');
    for (const family of [
      'pulse_consumer_lag',
      'pulse_dead_letters_total',
      'pulse_event_commit_latency_seconds',
      'pulse_edge_requests_total',
      'pulse_warehouse_write_seconds',
      'pulse_ingest_write_seconds',
    ]) {
      expect(text).toContain(family);
    }
    expect(text).toContain('code=\\"rate_limited\\"');
  });
});
