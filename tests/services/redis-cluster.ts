import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, waitUntil } from './free-port';

/** A real Redis Cluster of three masters on loopback, owned by a test suite. */
export interface RedisCluster {
  /** `host:port` of every node, as `REDIS_CLUSTER_NODES` takes them. */
  nodes: string[];
  stop(): Promise<void>;
}

const redisCli = (port: number, ...args: string[]) =>
  spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    encoding: 'utf8',
    timeout: 20_000,
  });

/**
 * Starts three `redis-server --cluster-enabled yes` nodes (no persistence, each with its
 * cluster bus on a port of its own) and joins them with `redis-cli --cluster create`, then
 * waits until every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode != null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const [port, bus] = (await freePorts(2)) as [number, number];
      ports.push(port);
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--cluster-port',
          String(bus),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { stdio: 'ignore' },
      );
      children.push(child);
    }
    for (const port of ports) {
      await waitUntil(
        `redis cluster node on ${port}`,
        async () => redisCli(port, 'PING').stdout.trim() === 'PONG',
        20_000,
      );
    }
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (create.status !== 0) {
      throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    }
    for (const port of ports) {
      await waitUntil(
        `cluster_state:ok on ${port}`,
        async () => redisCli(port, 'CLUSTER', 'INFO').stdout.includes('cluster_state:ok'),
        30_000,
      );
    }
    return { nodes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
