/**
 * Property names the minifier shortens in the IIFE (swc, rollup.config.ts): members of the SDK's
 * internal interfaces only (Env, Kv, Store, Reply, Delivery, Identity, the Client's hooks,
 * Platform, PageContext). None may be a name on the wire (event fields, request bodies, the
 * edge's answers), in stored records, or in the public API; sdk/test/internal-properties.test.ts
 * checks that against the contract and the SDK's surface. A listed name is shortened
 * everywhere, also where it is a member of a built-in, so none may be one of any browser
 * built-in (get, set, now, send, start, cancel, at…): tests/browser/internal-properties.test.ts
 * checks that in Chromium. A name added here must be unique to an internal interface.
 */
export const INTERNAL_PROPERTIES =
  /^(attach|beacon|del|elect|env|hide|kv|later|leave|navigated|online|poked|proof|rand|retryAfter|session|setUser|shared|user|visitor)$/;
