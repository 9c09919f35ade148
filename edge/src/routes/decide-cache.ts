import type { DecideResponse } from '@pulse/contract';
import type { DecideBackend } from './decide-backend';

/** Options of {@link cachedDecide}. */
export interface DecideCacheOptions {
  /**
   * The staleness bound: an answer older than this is never served; the backend is asked again.
   * An answer's age counts from when the backend was asked, not from when it answered.
   */
  maxAgeMs: number;
  /** Visitors kept at most; the least recently asked go first. @default 10_000 */
  maxVisitors?: number;
  /** Clock in milliseconds, for tests. @default Date.now */
  now?: () => number;
}

/** What the cache keeps of one visitor of one customer. */
interface VisitorEntry {
  /** Answers by proven user id ('' for the anonymous profile), with when they were asked for. */
  answers: Map<string, { answer: DecideResponse; askedAt: number }>;
  /** Questions to the backend in flight, by proven user id. */
  inFlight: Map<string, Promise<DecideResponse>>;
  /** When the visitor last sent events here: answers asked for before then are not kept. */
  actedAt: number;
}

/**
 * Decide answered at the edge for a visitor asked about recently, without a round trip to the
 * backend: each answer is kept for `maxAgeMs` (the staleness bound: a segment change reaches
 * decide at most that long after the backend knows it), in the memory of this edge process
 * or Workers isolate. A visitor's own events reset it: once a batch of that visitor is durable
 * here, its next decide asks the backend, so a page that acts and then asks (the SDK asks after
 * each acknowledged batch) gets what the backend knows by then. Concurrent questions about the
 * same visitor share one call. Failures are not kept.
 *
 * The cache is per process or isolate: a visitor whose events land on another isolate than its
 * decide still gets answers at most `maxAgeMs` old.
 *
 * @example
 * const decide = cachedDecide(createHttpDecideBackend({ baseUrl, secret }), { maxAgeMs: 1000 });
 */
export function cachedDecide(inner: DecideBackend, options: DecideCacheOptions): DecideBackend {
  const { maxAgeMs, maxVisitors = 10_000, now = Date.now } = options;
  const visitors = new Map<string, VisitorEntry>();
  const keyOf = (customerId: string, visitorId: string) => JSON.stringify([customerId, visitorId]);

  /** The visitor's entry, made the most recently used; the least recently used leave. */
  const entryOf = (key: string): VisitorEntry => {
    let entry = visitors.get(key);
    if (entry) visitors.delete(key);
    else entry = { answers: new Map(), inFlight: new Map(), actedAt: -Infinity };
    visitors.set(key, entry);
    while (visitors.size > maxVisitors) visitors.delete(visitors.keys().next().value!);
    return entry;
  };

  return {
    decide(customerId, visitorId, provenUserId) {
      const entry = entryOf(keyOf(customerId, visitorId));
      const user = provenUserId ?? '';
      const at = now();
      const kept = entry.answers.get(user);
      if (kept && at - kept.askedAt < maxAgeMs) return Promise.resolve(kept.answer);
      const asked = entry.inFlight.get(user);
      if (asked) return asked;
      const answer = inner.decide(customerId, visitorId, provenUserId);
      entry.inFlight.set(user, answer);
      const settle = () => {
        if (entry.inFlight.get(user) === answer) entry.inFlight.delete(user);
      };
      answer.then((value) => {
        settle();
        // An answer asked for before the visitor's latest events may not know them.
        if (at > entry.actedAt) entry.answers.set(user, { answer: value, askedAt: at });
      }, settle);
      return answer;
    },

    visitorsActed(customerId, visitorIds) {
      const at = now();
      for (const visitorId of visitorIds) {
        const entry = visitors.get(keyOf(customerId, visitorId));
        if (!entry) continue;
        entry.answers.clear();
        entry.inFlight.clear();
        entry.actedAt = at;
      }
      inner.visitorsActed?.(customerId, visitorIds);
    },
  };
}

/** `backend` behind a cache of `maxAgeMs` (see {@link cachedDecide}); itself for 0. */
export function withDecideCache(backend: DecideBackend, maxAgeMs: number): DecideBackend {
  return maxAgeMs > 0 ? cachedDecide(backend, { maxAgeMs }) : backend;
}
