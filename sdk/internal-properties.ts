/**
 * Property names the minifier shortens in the IIFE (swc, rollup.config.ts): members of the SDK's
 * internal interfaces only (Env, Kv, Store, Reply, Delivery, Identity, the Client's hooks,
 * Platform, PageContext). None may be a name on the wire (event fields, request bodies, the
 * edge's answers), in stored records, or in the public API; sdk/test/internal-properties.test.ts
 * checks that against the contract and the SDK's surface. swc may shorten a listed name
 * everywhere, also where it names a built-in's member (it keeps only the names of its own DOM
 * list, such as hide, session or store, so internal members are named outside it: pageHidden,
 * currentSession, queueStore; each saves 4-8 B gzip), so none may be a member of
 * any browser built-in (get, set, now, send, at…): tests/browser/internal-properties.test.ts
 * checks that in Chromium. A name added here must be unique to an internal interface.
 */
export const INTERNAL_PROPERTIES =
  /^(attach|beacon|cancelLater|currentSession|del|edgeUrl|elect|env|forgetAll|kv|later|leave|navigated|online|pageContext|pageHidden|poked|proof|queueEvent|queueStore|rand|resetIds|retryAfter|saveIds|setUser|shared|startSending|user|visitor)$/;
