import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { missingService } from '../../tests/services/free-port';
import { redisUnavailable, startRedis, type RedisServer } from '../../tests/services/redis';
import { startRedisCluster, type RedisCluster } from '../../tests/services/redis-cluster';
import { openEmbeddedStore } from '../src/state/embedded-store';
import { createRedisStore } from '../src/state/redis-store';
import type { StateStore } from '../src/state/state-store';

/** One StateStore adapter of a suite: its name, how to open it, and whether it is skipped. */
export type StoreAdapter = [name: string, open: () => StateStore, skip: boolean];

/**
 * The state stores a suite runs against: embedded LMDB in a fresh directory, a real
 * redis-server and a real three-node Redis Cluster the suite starts (required with CI=true). Registers the hooks that start them
 * and close every store opened, so call it at the top level of a test file.
 */
export function storeAdapters(prefix: string) {
  const why = redisUnavailable();
  const skipRedis = why ? missingService('redis-server', why) === 'skip' : false;
  let redis: RedisServer | undefined;
  let cluster: RedisCluster | undefined;
  let dir = '';
  const opened: StateStore[] = [];
  const track = (store: StateStore) => (opened.push(store), store);
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    if (!skipRedis) [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
  });
  afterAll(async () => {
    for (const store of opened) await store.close();
    await Promise.all([redis?.stop(), cluster?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });
  const adapters: StoreAdapter[] = [
    ['embedded (LMDB)', () => track(openEmbeddedStore(join(dir, 'lmdb'))), false],
    ['Redis', () => track(createRedisStore(redis!.url)), skipRedis],
    ['Redis Cluster', () => track(createRedisStore({ cluster: cluster!.nodes })), skipRedis],
  ];
  return { adapters, skipRedis, redisUrl: () => redis!.url };
}
