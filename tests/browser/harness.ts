import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const sdkDist = fileURLToPath(new URL('../../sdk/dist/', import.meta.url));

/** Chromium flags that keep a headless browser quiet on a machine without internet. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });

export interface SiteServer {
  /** Origin of the site, e.g. http://127.0.0.1:1234 */
  url: string;
  /** A page that loads the SDK as a customer would: the snippet, then init with `options`. */
  pageUrl(options: Record<string, unknown>, opts?: { path?: string; before?: string }): string;
  close(): Promise<void>;
}

/**
 * Serves the built SDK and pages that load it through the script-tag snippet, on its own
 * origin (so requests to the collector are real cross-origin requests).
 */
export async function startSite(): Promise<SiteServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/pulse.iife.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        return res.end(await readFile(`${sdkDist}pulse.iife.js`));
      }
      if (url.pathname === '/blank') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<!doctype html><title>blank</title><p>no SDK here</p>');
      }
      const config = url.searchParams.get('config') ?? '{}';
      const before = url.searchParams.get('before') ?? '';
      const snippet = await readFile(`${sdkDist}snippet.min.js`, 'utf8');
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><html><head><title>Test page ${url.pathname}</title>
<script data-pulse-src="/pulse.iife.js">${snippet}</script>
<script>${before}pulse.init(${config});</script></head>
<body><a id="away" href="/blank">away</a><button id="buy" data-pulse-event="buy" data-pulse-plan="pro">Buy</button></body></html>`);
    })().catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    pageUrl: (options, opts = {}) => {
      const q = new URLSearchParams({ config: JSON.stringify(options) });
      if (opts.before) q.set('before', opts.before);
      return `${origin}${opts.path ?? '/page'}?${q}`;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `check` until it is true or `timeoutMs` passed; returns the last value of `check`. */
export async function waitFor(
  check: () => boolean,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return check();
}
