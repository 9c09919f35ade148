import { randomUUID } from 'node:crypto';
import { percentile } from './table';

/** A native batch of `n` events of about 550 bytes each, as the SDK sends them. */
export function nativeBatch(n: number): string {
  const now = new Date().toISOString();
  const events = Array.from({ length: n }, (_, i) => ({
    event_id: randomUUID(),
    visitor_id: `01939a4e-${String(i).padStart(4, '0')}-7000-8000-0000deadbeef`,
    user_id: null,
    session_id: '01939a4e-1111-7000-8000-00000000abcd',
    event_type: 'page_view',
    event_name: 'pricing_page',
    properties: { url: '/pricing', referrer: '/features', plan: 'pro' },
    context: {
      locale: 'en-US',
      timezone: 'Europe/Berlin',
      page: {
        url: 'https://shop.example/pricing?x=1',
        path: '/pricing',
        title: 'Pricing · Shop',
        referrer: 'https://shop.example/features',
      },
      screen: { width: 1440, height: 900, density: 2 },
      campaign: { source: 'newsletter', medium: 'email' },
      library: { name: '@pulse/sdk', version: '0.1.0' },
    },
    timestamp: now,
  }));
  return JSON.stringify({ sent_at: now, events });
}

/** The machine's limit for the edge's unavoidable work: JSON.parse + JSON.stringify on one core. */
export function jsonLimit(bodies: string[], eventsPerBody: number, ms = 2000): number {
  let events = 0;
  const until = performance.now() + ms;
  const t0 = performance.now();
  for (let i = 0; performance.now() < until; i++) {
    const parsed = JSON.parse(bodies[i % bodies.length]!) as { events: unknown[] };
    JSON.stringify(parsed);
    events += eventsPerBody;
  }
  return events / ((performance.now() - t0) / 1000);
}

export interface LoadResult {
  eventsPerSecond: number;
  /** Events answered 200, over `seconds` of wall time. */
  events: number;
  seconds: number;
  requests: number;
  failed: number;
  p50: number;
  p99: number;
}

/**
 * Posts `bodies` round-robin with `concurrency` workers for `seconds`; bounded in time.
 * `headers[i]`, when given, go with `bodies[i]` (signatures, say).
 */
export async function load(
  url: string,
  bodies: string[],
  eventsPerBody: number,
  seconds: number,
  concurrency = 32,
  headers?: Array<Record<string, string>>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const until = Date.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = w; Date.now() < until; i += concurrency) {
        const start = performance.now();
        const n = i % bodies.length;
        const res = await fetch(url, {
          method: 'POST',
          body: bodies[n],
          headers: headers?.[n] ?? { 'content-type': 'application/json' },
        });
        await res.arrayBuffer();
        latencies.push(performance.now() - start);
        if (res.status === 200) ok++;
        else failed++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  return {
    eventsPerSecond: (ok * eventsPerBody) / elapsed,
    events: ok * eventsPerBody,
    seconds: elapsed,
    requests: latencies.length,
    failed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}
