import { spawn, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort, waitUntil } from './free-port';

/** A real `redis-server` on a free loopback port, owned by a test suite. */
export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL); with `dir` its append-only file keeps every write. */
  kill9(): Promise<void>;
}

const ping = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.on('error', () => resolve(false));
  });

/**
 * Starts redis-server; on `port` when given (a restart of a stopped server at its address).
 * Without persistence, unless `dir` is given: then every write is appended and fsynced there
 * (`appendfsync always`), so a server killed and started again on the same dir loses nothing.
 */
export async function startRedis(port?: number, dir?: string): Promise<RedisServer> {
  port ??= await freePort();
  const persistence = dir
    ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]
    : ['--appendonly', 'no'];
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence],
    { stdio: 'ignore' },
  );
  const bound = port;
  await waitUntil(`redis-server on ${port}`, () => ping(bound), 20_000);
  const ended = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode != null || child.signalCode != null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => ended('SIGTERM'),
    kill9: () => ended('SIGKILL'),
  };
}

/** Why redis-server cannot run here, or undefined when it can. */
export function redisUnavailable(): string | undefined {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return probe.status === 0
    ? undefined
    : 'redis-server is not installed (apt-get install redis-server)';
}
