import type { ClientEvent, PulseEvent, SegmentDefinition } from '@pulse/contract';
import { PRICING_FANS } from '../fixtures/processing';

const PAGES = ['/', '/features', '/pricing', '/docs', '/blog', '/login'];

/**
 * A realistic mix for one customer: page views over six pages (a third of them /pricing),
 * clicks and custom events, and an identify for one visitor in twenty. Deterministic in `seed`.
 */
export function eventMix(count: number, visitors: number, seed = 0): ClientEvent[] {
  const events: ClientEvent[] = [];
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const n = seed * count + i;
    const visitor = `bv-${n % visitors}`;
    const kind = n % 10;
    const at = new Date(now - (count - i)).toISOString();
    const base = {
      event_id: `bench-${seed}-${i}-${now}`,
      visitor_id: visitor,
      session_id: `bs-${n % visitors}`,
      timestamp: at,
    };
    if (kind < 6) {
      const path = PAGES[(n * 7) % PAGES.length] as string;
      events.push({
        ...base,
        event_type: 'page_view',
        event_name: path,
        properties: { path, url: `https://shop.example${path}` },
      });
    } else if (kind < 8) {
      events.push({
        ...base,
        event_type: 'click',
        event_name: 'cta',
        properties: { text: 'Start trial' },
      });
    } else if (kind < 9 || n % visitors >= visitors / 20) {
      events.push({
        ...base,
        event_type: 'custom',
        event_name: 'signup_step',
        properties: { step: n % 4 },
      });
    } else {
      events.push({
        ...base,
        event_type: 'identify',
        event_name: 'identify',
        user_id: `bu-${n % visitors}`,
        properties: {},
      });
    }
  }
  return events;
}

/** The same events as the edge would hand them on (received now, no skew). */
export function asPulseEvents(events: ClientEvent[], customer: string): PulseEvent[] {
  const received = new Date().toISOString();
  return events.map((e) => ({
    ...e,
    customer_id: customer,
    user_id: e.user_id ?? null,
    session_id: e.session_id ?? null,
    properties: e.properties ?? {},
    previous_id: null,
    context: {},
    original_timestamp: e.timestamp,
    sent_at: received,
    received_at: received,
  }));
}

/** Segments a bench customer has, so the processor does the segment work it does in production. */
export const BENCH_SEGMENTS: SegmentDefinition[] = [
  PRICING_FANS,
  { id: 'clickers', rule: { event_type: 'click', min_count: 5, window: '24h' } },
  {
    id: 'signup_started',
    rule: {
      event_type: 'custom',
      event_name: 'signup_step',
      where: { 'properties.step': { gte: 1 } },
      min_count: 1,
      window: '30m',
    },
  },
];
