import type { KeyConfig } from '../../src';

let sequence = 0;

/** A fresh UUIDv7-shaped id, unique within the test run. */
export function eventId(): string {
  sequence++;
  const hex = sequence.toString(16).padStart(12, '0');
  return `0193a6b2-7c1e-7abc-8def-${hex}`;
}

/** A valid native event (contract ClientEvent), with overrides (valid or not). */
export function nativeEvent(overrides: Record<string, unknown> = {}) {
  return {
    event_id: eventId(),
    visitor_id: 'visitor-1',
    session_id: 'session-1',
    event_type: 'page_view',
    event_name: 'pricing_page',
    properties: { url: '/pricing', referrer: '/features' },
    context: { page: { path: '/pricing' } },
    timestamp: '2025-01-21T10:29:59.000Z',
    ...overrides,
  };
}

/** Keys every app-level test knows. */
export const KEYS = {
  /** A customer in `new` routing, allowed on two origins. */
  open: 'pk_test_open',
  /** A customer with a bucket of 3 events refilled at 1/s. */
  tight: 'pk_test_tight',
} as const;

export function keyConfigs(extra: Record<string, KeyConfig> = {}): Record<string, KeyConfig> {
  return {
    [KEYS.open]: {
      customer_id: 'cust_open',
      allowed_origins: ['https://shop.example', 'https://*.example.org'],
      rate: { per_second: 100_000, burst: 100_000 },
      routing: 'new',
    },
    [KEYS.tight]: {
      customer_id: 'cust_tight',
      allowed_origins: ['*'],
      rate: { per_second: 1, burst: 3 },
      routing: 'new',
    },
    ...extra,
  };
}
