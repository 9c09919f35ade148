import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** One dependency a service needs before it takes traffic; throws (or rejects) with the reason. */
export type ReadinessCheck = () => Promise<unknown>;

export interface OpsAppOptions {
  /** What `/metrics` exposes. */
  registry: Registry;
  /** Named checks of `/readyz`, run in parallel at each request. */
  checks: Record<string, ReadinessCheck>;
  /** A check that has not answered by then fails. @default 2000 */
  checkTimeoutMs?: number;
}

export interface ReadinessReport {
  ready: boolean;
  /** Each check's `ok`, or why it failed. */
  checks: Record<string, string>;
}

/** Runs every check with a deadline; a check that throws or does not answer in time fails. */
export async function checkReadiness(
  checks: Record<string, ReadinessCheck>,
  timeoutMs = 2000,
): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([check(), deadline]);
        return [name, 'ok'] as const;
      } catch (error) {
        return [name, error instanceof Error ? error.message : String(error)] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return {
    ready: entries.every(([, result]) => result === 'ok'),
    checks: Object.fromEntries(entries),
  };
}

/**
 * The operations endpoints of a Pulse process, on a port of their own so that neither customer
 * ids (in metric labels) nor dependency errors reach the public port:
 * - `GET /healthz`: 200 while the process runs (liveness);
 * - `GET /readyz`: 200 when every check passes, else 503 with each check's reason (readiness:
 *   the load balancer sends traffic, the orchestrator waits);
 * - `GET /metrics`: Prometheus text format.
 */
export function createOpsApp(options: OpsAppOptions): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    const report = await checkReadiness(options.checks, options.checkTimeoutMs);
    return c.json(report, report.ready ? 200 : 503);
  });
  app.get('/metrics', async (c) =>
    c.body(await options.registry.metrics(), 200, { 'content-type': options.registry.contentType }),
  );
  app.notFound((c) =>
    c.json(
      { error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } },
      404,
    ),
  );
  return app;
}

export interface OpsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves {@link createOpsApp} on Node; `port: 0` picks a free port. @default hostname 127.0.0.1 */
export function startOpsServer(
  options: OpsAppOptions & { port: number; hostname?: string },
): Promise<OpsServer> {
  const app = createOpsApp(options);
  const hostname = options.hostname ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server: ServerType = serve(
      { fetch: app.fetch, port: options.port, hostname },
      (info: AddressInfo) =>
        resolve({
          url: `http://${hostname}:${info.port}`,
          port: info.port,
          close: () =>
            new Promise((done) => {
              if ('closeAllConnections' in server) server.closeAllConnections();
              server.close(() => done());
            }),
        }),
    );
    server.once('error', reject);
  });
}
