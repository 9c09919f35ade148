import { describe, expect, it } from 'vitest';
import { createTestEdge } from '../../../test/support/test-app';
import { KEYS, nativeEvent } from '../../../test/support/fixtures';
import { createAnalyticsObserver, type DataPointWriter } from './analytics-observer';
import { jsonLog } from '../../observe/edge-log';

describe('the Workers observer', () => {
  it('writes one data point per answer and per ingest, and logs refusals as JSON', async () => {
    const points: Parameters<DataPointWriter['writeDataPoint']>[0][] = [];
    const lines: string[] = [];
    const observer = createAnalyticsObserver(
      { writeDataPoint: (point) => void points.push(point) },
      jsonLog(
        (line) => void lines.push(line),
        () => 1_000,
      ),
    );
    const edge = createTestEdge({ deps: { observer } });
    const sent_at = '2025-01-21T10:30:00.000Z';
    await edge.post(`/v1/events?key=${KEYS.open}`, {
      sent_at,
      dropped: 3,
      events: [nativeEvent(), { event_type: 'page_view' }],
    });
    await edge.post('/v1/events?key=pk_test_nobody', { sent_at, events: [nativeEvent()] });
    expect(points).toEqual([
      { indexes: ['cust_open'], blobs: ['ingest'], doubles: [1, 1, 3] },
      { indexes: ['cust_open'], blobs: ['request', '/v1/events', 'ok'], doubles: [200] },
      { indexes: ['_none'], blobs: ['request', '/v1/events', 'invalid_key'], doubles: [401] },
    ]);
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      {
        level: 40,
        time: 1_000,
        msg: 'request refused',
        customer: '_none',
        route: '/v1/events',
        status: 401,
        code: 'invalid_key',
      },
    ]);
  });
});
