import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendDecidePath, signBody } from '@pulse/contract';
import { missingService } from '../../tests/services/free-port';
import { redisUnavailable, startRedis, type RedisServer } from '../../tests/services/redis';
import { startBackend, type Backend } from '../src/start-backend';
import { tempWarehousePath } from './warehouse-fixtures';

const why = redisUnavailable();
const skip = why ? missingService('redis-server', why) === 'skip' : false;
const SECRET = 'outage-secret';

let redis: RedisServer;
let backend: Backend;
let dir: string;
const logged: string[] = [];

beforeAll(async () => {
  if (skip) return;
  redis = await startRedis();
  dir = tempWarehousePath();
  backend = await startBackend({
    dataDir: dir,
    port: 0,
    ingestSecret: SECRET,
    tickMs: 0,
    redisUrl: redis.url,
    apiKeys: { sk_a: 'cust_a' },
    opsPort: 0,
    onError: (what) => void logged.push(what),
  });
});
afterAll(async () => {
  await backend?.stop().catch(() => undefined);
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the query APIs while Redis is down', () => {
  it.skipIf(skip)('answer 503 unavailable with Retry-After, never 500, and log why', async () => {
    const key = { authorization: 'Bearer sk_a' };
    expect((await fetch(`${backend.url}/v1/segments`, { headers: key })).status).toBe(200);
    expect((await fetch(`${backend.opsUrl}/readyz`)).status).toBe(200);
    await redis.stop();
    const decidePath = backendDecidePath('cust_a', 'v1');
    const calls: Array<[string, RequestInit]> = [
      ['/v1/segments', { headers: key }],
      ['/v1/profiles/v1', { headers: key }],
      ['/v1/triggers', { headers: key }],
      [decidePath, { headers: { 'x-pulse-signature': await signBody(SECRET, decidePath) } }],
    ];
    // At once: each waits for the Redis client to give up on its retries.
    const answers = await Promise.all(
      calls.map(async ([path, init]) => {
        const res = await fetch(`${backend.url}${path}`, init);
        return {
          path,
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          body: await res.json(),
        };
      }),
    );
    for (const answer of answers) {
      expect(answer, answer.path).toMatchObject({
        status: 503,
        retryAfter: '5',
        body: { error: { code: 'unavailable' } },
      });
    }
    expect(logged.length).toBeGreaterThanOrEqual(calls.length);

    // Not ready, and why: the state store; alive all the same (a restart would not help).
    const ready = await fetch(`${backend.opsUrl}/readyz`);
    expect(ready.status).toBe(503);
    const report = (await ready.json()) as { ready: boolean; checks: Record<string, string> };
    expect(report.ready).toBe(false);
    expect(report.checks.warehouse).toBe('ok');
    expect(report.checks.state).not.toBe('ok');
    expect((await fetch(`${backend.opsUrl}/healthz`)).status).toBe(200);
  });
});
