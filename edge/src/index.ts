/**
 * `@pulse/edge`: the collector as a library. Runtimes use `createApp` with their own deps; the
 * Node entry is `@pulse/edge/node` (`startNodeEdge`), the Workers entry is wrangler's `main`.
 */
export { createApp } from './app';
export type { EdgeDeps, EdgeEnv, EdgeVariables } from './deps';
export {
  ROUTING_MODES,
  parseKeyConfig,
  type KeyConfig,
  type KeyConfigStore,
  type RateLimit,
  type RoutingMode,
} from './config/key-config';
export { createMemoryConfigStore } from './config/memory-config-store';
export {
  createCachedConfigStore,
  type CachedConfigStoreOptions,
} from './config/cached-config-store';
export type { RateDecision, RateLimiter } from './rate-limit/rate-limiter';
export { createMemoryRateLimiter } from './rate-limit/memory-rate-limiter';
export { RECEIPT_TTL_MS, type ReceiptStore } from './receipts/receipt-store';
export { createMemoryReceiptStore } from './receipts/memory-receipt-store';
export { takeTokens, type BucketState } from './rate-limit/token-bucket';
export { createDailySalt, createIpHasher } from './enrich/ip-hash';
export {
  createHttpIngestSink,
  IngestWriteError,
  type HttpIngestSinkOptions,
} from './sinks/http-ingest-sink';
export {
  createHttpLegacyForwarder,
  type LegacyAnswer,
  type LegacyForwarder,
  type LegacyRequest,
} from './sinks/legacy-forwarder';
export { EdgeError, isEdgeError } from './errors/edge-error';
export type { EdgeObserver, IngestOutcome, RequestOutcome } from './observe/edge-observer';
export { SHADOW_STATUS_HEADER } from './middleware/routing';
export { SEGMENT_CALLS, type SegmentCall } from './segment/segment-call';
