import { createServer, type Server } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/**
 * `count` different TCP ports on 127.0.0.1 that were free a moment ago. All are held open until
 * every one is bound: asked one after another, the system may hand out a port it just released
 * again (a broker got the same port for its two listeners that way and could not start).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      server.unref();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((server) => {
      const address = server.address();
      if (typeof address !== 'object' || !address) throw new Error('no port');
      return address.port;
    });
  } finally {
    await Promise.all(
      servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  }
}

/**
 * Resolves once `check` resolves true, polling until `timeoutMs`; rejects with `what` otherwise
 * (a function is asked at the timeout, so a log or a count in it is the one of that moment).
 */
export async function waitUntil(
  what: string | (() => string),
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  const waitedFor = typeof what === 'function' ? what() : what;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${waitedFor}`);
}

/**
 * Whether a suite may run without a service that is missing here. With CI=true a missing
 * service fails the run: it never silently skips.
 */
export function missingService(name: string, why: string): never | 'skip' {
  const message = `${name} is not available: ${why}`;
  if (process.env.CI === 'true')
    throw new Error(`${message} (CI=true: failing instead of skipping)`);
  console.warn(`\n!!! SKIPPING suites that need ${message}\n`);
  return 'skip';
}
