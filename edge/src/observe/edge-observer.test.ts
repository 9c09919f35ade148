import { describe, expect, it } from 'vitest';
import { createTestEdge } from '../../test/support/test-app';
import { KEYS, nativeEvent } from '../../test/support/fixtures';
import type { EdgeObserver, IngestOutcome, RequestOutcome } from './edge-observer';

function recordingObserver() {
  const requests: RequestOutcome[] = [];
  const ingests: IngestOutcome[] = [];
  const observer: EdgeObserver = {
    request: (outcome) => void requests.push(outcome),
    ingested: (outcome) => void ingests.push(outcome),
  };
  return { observer, requests, ingests };
}

const sent_at = '2025-01-21T10:30:00.000Z';

describe('the edge observer', () => {
  it('hears every answer with its customer, route pattern, status and code', async () => {
    const { observer, requests } = recordingObserver();
    const edge = createTestEdge({ deps: { observer } });
    await edge.post(`/v1/events?key=${KEYS.open}`, { sent_at, events: [nativeEvent()] });
    await edge.post(`/v1/events?key=pk_test_nobody`, { sent_at, events: [nativeEvent()] });
    const track = (event: string) => ({ type: 'track', event, anonymousId: 'a1' });
    // A bucket of 3: the first batch takes it all, the next event is over the limit.
    await edge.post(`/v1/batch?key=${KEYS.tight}`, { batch: ['a', 'b', 'c'].map(track) });
    await edge.post(`/v1/batch?key=${KEYS.tight}`, { batch: [track('d')] });
    await edge.post(`/v1/events?key=${KEYS.open}`, '{"events": [');
    await edge.app.request('/v1/nothing-here');
    expect(requests).toEqual([
      { customer: 'cust_open', route: '/v1/events', status: 200, code: 'ok' },
      { customer: null, route: '/v1/events', status: 401, code: 'invalid_key' },
      { customer: 'cust_tight', route: '/v1/batch', status: 200, code: 'ok' },
      { customer: 'cust_tight', route: '/v1/batch', status: 429, code: 'rate_limited' },
      { customer: null, route: '/v1/events', status: 400, code: 'invalid_json' },
      { customer: null, route: '/*', status: 404, code: 'not_found' },
    ]);
  });

  it('hears what each ingest made durable: accepted, refused by code, dropped by the client', async () => {
    const { observer, ingests } = recordingObserver();
    const edge = createTestEdge({ deps: { observer } });
    const res = await edge.post(`/v1/events?key=${KEYS.open}`, {
      sent_at,
      dropped: 2,
      events: [nativeEvent(), { event_type: 'page_view' }, nativeEvent(), { nope: 1 }],
    });
    expect(res.status).toBe(200);
    expect(ingests).toEqual([
      { customer: 'cust_open', accepted: 2, rejected: { invalid_event: 2 }, clientDropped: 2 },
    ]);
  });
});
