import { describe, expect, it } from 'vitest';
import { createTestEdge } from '../../test/support/test-app';
import { KEYS, nativeEvent } from '../../test/support/fixtures';
import { createDailySalt, createIpHasher } from './ip-hash';

const path = `/v1/events?key=${KEYS.open}`;
const IP = '198.51.100.23';

describe('IP hashing', () => {
  it('hashes the connecting IP with a daily salt: stable within a day, different the next', async () => {
    const edge = createTestEdge();
    const headers = { 'cf-connecting-ip': IP };
    await edge.post(path, { events: [nativeEvent()] }, headers);
    edge.clock.now += 60 * 60 * 1000;
    await edge.post(path, { events: [nativeEvent()] }, headers);
    edge.clock.now += 24 * 60 * 60 * 1000;
    await edge.post(path, { events: [nativeEvent()] }, headers);
    const hashes = edge.sink.events().map((e) => e.context.ip);
    expect(hashes[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(hashes[1]).toBe(hashes[0]);
    expect(hashes[2]).not.toBe(hashes[0]);
  });

  it('never lets the raw IP reach the sink: not in events, not in dead letters', async () => {
    const edge = createTestEdge();
    const res = await edge.post(
      path,
      {
        events: [
          nativeEvent(),
          nativeEvent({ context: { ip: IP } }),
          nativeEvent({ event_type: 'bogus', context: { ip: IP } }),
          nativeEvent({ event_type: 'bogus', context: { ip: [IP] } }),
          nativeEvent({ context: { ip: { v4: IP } } }),
        ],
      },
      { 'x-forwarded-for': `${IP}, 10.0.0.1`, 'cf-connecting-ip': IP },
    );
    expect(res.status).toBe(200);
    expect(edge.sink.events()).toHaveLength(3);
    expect(edge.sink.deadLetters()).toHaveLength(2);
    expect(JSON.stringify(edge.sink.batches)).not.toContain(IP);
    const ownHash = edge.sink.events()[0]!.context.ip;
    // An IP in context is the same person's: it hashes to the same value.
    expect(edge.sink.events()[1]!.context.ip).toBe(ownHash);
    // A non-string ip is replaced by the connecting IP's hash.
    expect(edge.sink.events()[2]!.context.ip).toBe(ownHash);
    expect(edge.sink.deadLetters()[0]!.raw).toMatchObject({ context: { ip: ownHash } });
    expect(edge.sink.deadLetters()[1]!.raw).toMatchObject({ context: {} });
  });

  it('sends no ip at all when the edge does not know the client address', async () => {
    const edge = createTestEdge();
    await edge.post(path, { events: [nativeEvent({ context: { ip: 42 } })] });
    expect(edge.sink.events()[0]!.context).not.toHaveProperty('ip');
  });

  it('derives one salt per day from the secret, so edge instances agree without sharing state', async () => {
    const saltA = createDailySalt('secret');
    const saltB = createDailySalt('secret');
    expect(await saltA('2025-01-21')).toBe(await saltB('2025-01-21'));
    expect(await saltA('2025-01-21')).not.toBe(await saltA('2025-01-22'));
    expect(await saltA('2025-01-21')).not.toBe(await createDailySalt('other')('2025-01-21'));
    const hash = createIpHasher(saltA);
    expect(await hash(IP, '2025-01-21T23:59:59.999Z')).toBe(
      await hash(IP, '2025-01-21T00:00:00.000Z'),
    );
    expect(await hash(IP, '2025-01-21T00:00:00.000Z')).not.toBe(
      await hash('198.51.100.24', '2025-01-21T00:00:00.000Z'),
    );
  });
});
