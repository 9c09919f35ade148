import { rmSync } from 'node:fs';
import type { PulseEvent, SegmentDefinition } from '@pulse/contract';
import { startBackend, type Backend, type BackendConfig } from '../src/start-backend';
import { makeEvent, tempWarehousePath } from './warehouse-fixtures';

/** Secret keys of the Segment API tests: two customers, to check that neither sees the other. */
export const KEYS = { sk_a: 'cust_a', sk_b: 'cust_b' } as const;
export type TestKey = keyof typeof KEYS | 'sk_nobody' | null;

/** A JSON answer of the API. */
export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/**
 * A real embedded backend (chdb + LMDB in a temporary directory, no clock ticks) and a way to
 * call its HTTP API. chdb serves one directory per process: one of these per test file.
 */
export async function startApiBackend(
  config: Pick<BackendConfig, 'finishSegmentWritesEveryMs'> = {},
) {
  const dir = tempWarehousePath();
  const backend: Backend = await startBackend({
    dataDir: dir,
    port: 0,
    ingestSecret: 'x',
    tickMs: 0,
    apiKeys: { ...KEYS },
    ...config,
  });
  const call = async <T = Record<string, unknown>>(
    method: string,
    path: string,
    options: { key?: TestKey; body?: unknown; rawBody?: string } = {},
  ): Promise<Answer<T>> => {
    const key = options.key === undefined ? 'sk_a' : options.key;
    const headers: Record<string, string> = {};
    if (key) headers.authorization = `Bearer ${key}`;
    let body: string | undefined;
    if (options.body !== undefined || options.rawBody !== undefined) {
      headers['content-type'] = 'application/json';
      body = options.rawBody ?? JSON.stringify(options.body);
    }
    const response = await fetch(`${backend.url}${path}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };
  return {
    backend,
    /** The backend's data directory (chdb under `warehouse/`). */
    dir,
    call,
    async stop() {
      await backend.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An ISO time `minutes` before now: the API reads history relative to the wall clock. */
export const minutesAgo = (minutes: number): string =>
  new Date(Date.now() - minutes * 60_000).toISOString();

/** A page view of `customer` by `visitor` at `minutes` ago. */
export const pageView = (
  customer: string,
  eventId: string,
  visitor: string,
  path: string,
  minutes: number,
  fields: Partial<PulseEvent> = {},
): PulseEvent =>
  makeEvent({
    customer_id: customer,
    event_id: eventId,
    visitor_id: visitor,
    event_name: path,
    properties: { path },
    timestamp: minutesAgo(minutes),
    ...fields,
  });

/** A segment definition: `min_count` page views of `path` within `window`. */
export const viewsOf = (
  id: string,
  path: string,
  minCount: number,
  window = '7d',
): SegmentDefinition => ({
  id,
  rule: {
    event_type: 'page_view',
    where: { 'properties.path': path },
    min_count: minCount,
    window,
  },
});
