import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { userHashOf } from '@pulse/contract';
import { createDashboardApp } from './dashboard';

const siteDir = fileURLToPath(new URL('../site/', import.meta.url));
const sdkDist = fileURLToPath(new URL('../../sdk/dist/', import.meta.url));

const PAGES: Record<string, { file: string; title: string }> = {
  '/': { file: 'index.html', title: 'Home' },
  '/features': { file: 'features.html', title: 'Features' },
  '/pricing': { file: 'pricing.html', title: 'Pricing' },
  '/login': { file: 'login.html', title: 'Log in' },
};

export interface PlaygroundOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Base URL of the edge collector the demo site sends to. */
  endpoint: string;
  /** Public write key of the demo customer. */
  key: string;
  /**
   * The backend (GraphQL and Segment API) and the demo customer's secret key, for the
   * dashboard. The key stays on this server: the dashboard's requests go through it.
   */
  backend?: { url: string; secretKey: string };
  /**
   * The demo key's identity secret (its `identity_secret`): the demo's login answers the
   * page's `userHash` with it, as a customer's server does after a real login.
   */
  identitySecret?: string;
}

/**
 * The demo site: pages instrumented with the script-tag snippet exactly as a customer pastes
 * it, and the SDK bundle served from sdk/dist (run `npm run build` first); with a backend, the
 * live dashboard under /dashboard.
 */
export function createPlaygroundApp({
  endpoint,
  key,
  backend,
  identitySecret,
}: Omit<PlaygroundOptions, 'port'>): Hono {
  // strict: false, so /dashboard/ is /dashboard.
  const app = new Hono({ strict: false });
  if (backend) app.route('/dashboard', createDashboardApp({ ...backend, endpoint, key }));
  // The demo's "login": it trusts the form and proves the user id for decide. A real site does
  // this after authenticating the user, and writes the hash into the page it serves.
  app.post('/login', async (c) => {
    const form = await c.req.formData();
    const email = form.get('email');
    if (typeof email != 'string' || !email || email.length > 200) {
      return c.json({ error: { code: 'invalid_request', message: 'email is required' } }, 400);
    }
    const userHash = identitySecret ? await userHashOf(identitySecret, email) : null;
    return c.json({ user_id: email, user_hash: userHash });
  });
  app.get('/pulse.iife.js', async (c) => {
    const bundle = await readFile(`${sdkDist}pulse.iife.js`, 'utf8');
    return c.body(bundle, 200, { 'content-type': 'text/javascript; charset=utf-8' });
  });
  app.get('*', async (c) => {
    const page = PAGES[c.req.path];
    if (!page) return c.text('Not found', 404);
    const [layout, body, snippet] = await Promise.all([
      readFile(`${siteDir}layout.html`, 'utf8'),
      readFile(`${siteDir}${page.file}`, 'utf8'),
      readFile(`${sdkDist}snippet.min.js`, 'utf8'),
    ]);
    const init = JSON.stringify({ key, endpoint, captureClicks: true });
    const tag = `<script data-pulse-src="/pulse.iife.js">${snippet}</script>\n<script>pulse.init(${init});</script>`;
    return c.html(
      layout
        .replace('<!--pulse-->', tag)
        .replace('{{title}}', page.title)
        .replace('{{body}}', body),
    );
  });
  return app;
}

/** Starts the demo site; resolves with its URL once it listens. */
export function startPlayground(
  options: PlaygroundOptions,
): Promise<{ url: string; server: ServerType }> {
  const app = createPlaygroundApp(options);
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: options.port, hostname: '127.0.0.1' }, (info) =>
      resolve({ url: `http://127.0.0.1:${info.port}`, server }),
    );
  });
}
