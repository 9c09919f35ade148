import { describe, expect, it } from 'vitest';
import type { DeadLetter, SinkBatch } from '@pulse/contract';
import { quarantined } from '../processor/quarantine';
import { pulseEvent } from '../../test/kafka-fixtures';
import { quarantinedBatches } from './redrive';

describe('quarantinedBatches (the embedded re-drive)', () => {
  it('gathers the quarantined events per customer and leaves what is still no event', () => {
    const a1 = pulseEvent('cust_a');
    const a2 = pulseEvent('cust_a');
    const b1 = pulseEvent('cust_b');
    const refused: DeadLetter = {
      customer_id: 'cust_a',
      index: 0,
      event_id: 'e-refused',
      code: 'invalid_event',
      message: 'refused at the edge',
      raw: {},
      received_at: a1.received_at,
    };
    const log: SinkBatch[] = [
      {
        customer_id: 'cust_a',
        events: [],
        dead_letters: [
          quarantined(a1, null, undefined, 'failed'),
          refused,
          quarantined('not json {', 'cust_a:v', undefined, 'not JSON'),
        ],
      },
      {
        customer_id: 'cust_b',
        events: [],
        dead_letters: [
          quarantined(JSON.stringify(b1), null, undefined, 'failed'),
          quarantined(a2, null, undefined, 'failed'),
        ],
      },
    ];
    const { batches, skipped } = quarantinedBatches(log);
    expect(skipped).toBe(1);
    expect(batches.map((b) => [b.customer_id, b.events.map((e) => e.event_id)])).toEqual([
      ['cust_a', [a1.event_id, a2.event_id]],
      ['cust_b', [b1.event_id]],
    ]);
  });
});
