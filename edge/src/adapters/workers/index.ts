import type { Hono } from 'hono';
import { createApp } from '../../app';
import { createCachedConfigStore } from '../../config/cached-config-store';
import type { EdgeEnv } from '../../deps';
import { createDailySalt } from '../../enrich/ip-hash';
import { createHttpDecideBackend, decideBaseUrl } from '../../routes/decide-backend';
import { withDecideCache } from '../../routes/decide-cache';
import { createHttpIngestSink } from '../../sinks/http-ingest-sink';
import { createHttpLegacyForwarder } from '../../sinks/legacy-forwarder';
import { createDurableRateLimiter } from './durable-rate-limiter';
import { createKvConfigStore } from './kv-config-store';
import { createAnalyticsObserver } from './analytics-observer';
import type { RateLimiterObject } from './rate-limiter-object';
import { createDurableReceiptStore } from './durable-receipt-store';
import type { ReceiptsObject } from './receipts-object';

// workerd refuses a module exporting anything but handlers and Durable Object classes.
export { RateLimiterObject } from './rate-limiter-object';
export { ReceiptsObject } from './receipts-object';

/** Bindings are fixed for an isolate's life: the app (and its config cache) is built once. */
let app: Hono<EdgeEnv> | undefined;

function required(env: Env, name: 'INGEST_URL' | 'INGEST_SECRET' | 'IP_SALT_SECRET'): string {
  const value = env[name];
  if (!value) throw new Error(`edge worker: ${name} is not set (wrangler.toml [vars] or a secret)`);
  return value;
}

function buildApp(env: Env): Hono<EdgeEnv> {
  return createApp({
    config: createCachedConfigStore(createKvConfigStore(env.KEYS), {
      ttlMs: Number(env.CONFIG_CACHE_SECONDS || 10) * 1000,
    }),
    limiter: createDurableRateLimiter(
      env.RATE_LIMITER as DurableObjectNamespace<RateLimiterObject>,
    ),
    sink: createHttpIngestSink({
      url: required(env, 'INGEST_URL'),
      secret: required(env, 'INGEST_SECRET'),
    }),
    // Decide is served by the backend beside ingest, signed with the same secret.
    decide: withDecideCache(
      createHttpDecideBackend({
        baseUrl: decideBaseUrl(required(env, 'INGEST_URL')),
        secret: required(env, 'INGEST_SECRET'),
      }),
      Number(env.DECIDE_CACHE_MS || 0),
    ),
    legacy: createHttpLegacyForwarder(),
    receipts: createDurableReceiptStore(env.RECEIPTS as DurableObjectNamespace<ReceiptsObject>),
    ipSalt: createDailySalt(required(env, 'IP_SALT_SECRET')),
    observer: createAnalyticsObserver(env.METRICS),
  });
}

/** The Pulse edge on Cloudflare Workers (`wrangler dev`, `wrangler deploy`). */
export default {
  fetch(request, env, ctx) {
    app ??= buildApp(env);
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
