import { describe, expect, it } from 'vitest';
import { traceIdOf } from '@pulse/contract';
import { createTestEdge } from '../../test/support/test-app';
import { KEYS, nativeEvent } from '../../test/support/fixtures';
import { jsonLog } from './edge-log';

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const sentAt = '2025-01-21T10:30:00.000Z';

/** A log writing into `lines`, parsed, with a fixed clock. */
function recordingLog() {
  const lines: Record<string, unknown>[] = [];
  const log = jsonLog(
    (line) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    () => 1_000,
  );
  return { lines, log };
}

describe('the edge log', () => {
  it('writes pino-shaped JSON lines, with bound fields and errors as objects', () => {
    const { lines, log } = recordingLog();
    log.child({ trace_id: 'abc' }).error({ customer: 'cust_a', err: new TypeError('x') }, 'boom');
    log.info({}, 'plain');
    expect(lines).toEqual([
      {
        level: 50,
        time: 1_000,
        trace_id: 'abc',
        customer: 'cust_a',
        err: { type: 'TypeError', message: 'x', stack: expect.stringContaining('TypeError: x') },
        msg: 'boom',
      },
      { level: 30, time: 1_000, msg: 'plain' },
    ]);
  });

  it("logs a failed durable write with the request's trace id, the one the sink was given", async () => {
    const { lines, log } = recordingLog();
    const given: (string | undefined)[] = [];
    const edge = createTestEdge({
      deps: {
        log,
        sink: {
          write: (batch) => {
            given.push(batch.traceparent);
            return Promise.reject(new Error('broker gone'));
          },
        },
      },
    });
    const res = await edge.post(
      `/v1/events?key=${KEYS.open}`,
      { sent_at: sentAt, events: [nativeEvent()] },
      { traceparent: `00-${CLIENT_TRACE}-00f067aa0ba902b7-01` },
    );
    expect(res.status).toBe(503);
    expect(given.map(traceIdOf)).toEqual([CLIENT_TRACE]);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        trace_id: CLIENT_TRACE,
        customer: 'cust_open',
        err: expect.objectContaining({ message: 'broker gone' }),
        msg: 'edge: durable write failed',
      }),
    ]);
  });

  it('logs a bug as one error line and answers a JSON 500', async () => {
    const { lines, log } = recordingLog();
    const edge = createTestEdge({
      deps: {
        log,
        // A limiter that breaks: not an EdgeError, so a bug.
        limiter: {
          take: () => Promise.reject(new RangeError('limiter bug')),
        },
      },
    });
    const res = await edge.post(`/v1/events?key=${KEYS.open}`, {
      sent_at: sentAt,
      events: [nativeEvent()],
    });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
        method: 'POST',
        path: '/v1/events',
        err: expect.objectContaining({ type: 'RangeError', message: 'limiter bug' }),
        msg: 'edge bug',
      }),
    ]);
  });
});
