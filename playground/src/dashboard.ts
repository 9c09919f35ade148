import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';

const dashboardDir = fileURLToPath(new URL('../dashboard/', import.meta.url));
// chart.js exports no subpaths: find its dist folder from the main entry.
const chartJs = join(
  dirname(createRequire(import.meta.url).resolve('chart.js')),
  'chart.umd.min.js',
);

export interface DashboardOptions {
  /** The backend base URL (serves /graphql and /v1/…). */
  url: string;
  /** The demo customer's secret key: added here, never sent to the browser. */
  secretKey: string;
  /** Edge base URL and write key, shown so a visitor can send events by hand. */
  endpoint: string;
  key: string;
}

/**
 * The live dashboard: a page, its script, Chart.js, and a proxy to the backend's GraphQL API
 * (queries and SSE subscriptions) and Segment API that adds the secret key server-side.
 */
export function createDashboardApp(options: DashboardOptions): Hono {
  const app = new Hono({ strict: false });
  const file = (name: string, type: string) => async () =>
    new Response(await readFile(`${dashboardDir}${name}`), { headers: { 'content-type': type } });
  app.get('/', file('index.html', 'text/html; charset=utf-8'));
  app.get('/dashboard.js', file('dashboard.js', 'text/javascript; charset=utf-8'));
  app.get('/dashboard.css', file('dashboard.css', 'text/css; charset=utf-8'));
  app.get(
    '/chart.js',
    async () =>
      new Response(await readFile(chartJs), { headers: { 'content-type': 'text/javascript' } }),
  );

  const forward = async (request: Request, path: string) => {
    const url = new URL(request.url);
    const headers = new Headers({ authorization: `Bearer ${options.secretKey}` });
    for (const name of ['content-type', 'accept']) {
      const value = request.headers.get(name);
      if (value) headers.set(name, value);
    }
    const body =
      request.method === 'GET' || request.method === 'HEAD'
        ? undefined
        : await request.arrayBuffer();
    let answer: Response;
    try {
      answer = await fetch(`${options.url}${path}${url.search}`, {
        method: request.method,
        headers,
        body,
        signal: request.signal,
      });
    } catch (error) {
      // The page went away (an SSE stream closed): nobody is left to answer.
      if (request.signal.aborted) return new Response(null, { status: 499 });
      const message = `the backend at ${options.url} did not answer: ${String(error)}`;
      return Response.json({ error: { code: 'unavailable', message } }, { status: 502 });
    }
    // Streams through, so SSE subscriptions reach the page as they happen.
    return new Response(answer.body && endQuietlyOnAbort(answer.body), {
      status: answer.status,
      headers: {
        'content-type': answer.headers.get('content-type') ?? 'application/json',
        'cache-control': 'no-cache',
      },
    });
  };
  app.all('/graphql', (c) => forward(c.req.raw, '/graphql'));
  // Reads and the segment editor's writes (preview, create, redefine) of the Segment API.
  app.on(['GET', 'POST', 'PUT'], '/api/*', (c) =>
    forward(c.req.raw, c.req.path.replace(/^\/dashboard\/api/, '')),
  );
  app.get('/config.json', (c) => c.json({ endpoint: options.endpoint, key: options.key }));
  return app;
}

/**
 * The same bytes, but a read that fails (the page closed an SSE stream, which aborts the
 * upstream fetch) ends the stream instead of erroring it: the server would log every closed
 * dashboard tab as `Error: aborted`.
 */
function endQuietlyOnAbort(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch {
        controller.close();
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
