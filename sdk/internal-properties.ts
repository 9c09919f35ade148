/**
 * Property names terser may shorten in the IIFE (rollup.config.ts): members of the SDK's
 * internal interfaces only (Env, Kv, Store, Reply, Delivery, Identity, the Client's hooks,
 * Platform, PageContext). None may be a name on the wire (event fields, request bodies, the
 * edge's answers), in stored records, or in the public API; sdk/test/internal-properties.test.ts
 * checks that against the contract and the SDK's surface. Names terser keeps for the DOM and
 * built-ins (get, set, now, send, status…) would not be shortened even if listed, so they are
 * not. A name added here must be unique to an internal interface.
 */
export const INTERNAL_PROPERTIES =
  /^(attach|beacon|del|elect|env|kv|later|leave|navigated|online|poked|proof|rand|retryAfter|setUser|shared|user|visitor)$/;
