import { Redis } from 'ioredis';
import { isCustomerId, type SegmentDefinition } from '@pulse/contract';
import {
  InvalidCursorError,
  type Evidence,
  type OutboxEntry,
  type StateChanges,
  type StateStore,
} from './state-store';

/*
 * Keys (shared/DESIGN.md, "Processing semantics"); `{c}` is the customer id in braces, a Redis
 * Cluster hash tag, so every key of one customer lives in one slot:
 *   identity:{c}:{source}            → user
 *   identity-sources:{c}:{user}      → SET of sources
 *   segment:{c}:{segment}            → SET of member ids
 *   segment-ends:{c}:{segment}       → ZSET member id → end of membership (ms), for expiry
 *   evidence:{c}:{segment}:{source}  → ZSET event_id → event time (ms)
 *   segments:{c}                     → HASH segment id → definition JSON
 *   segment-customers                → SET of customers with segments
 *   clock:{c}                        → ms
 *   docs:{c}:{kind}                  → HASH id → settings document JSON
 *   outbox                           → HASH entry id → OutboxEntry JSON (ids sort by commit order)
 *
 * No id can address another key: the kind is the word before the first `:`, customers and
 * segments hold no `:` (CUSTOMER_ID_PATTERN, SEGMENT_ID_PATTERN, refused here too), and a
 * client's id is always the last part, taken whole. Before, the sources of user `u` were
 * `identity:{c}:user:u`, the very key of the link of a visitor named `user:u`.
 */
const tag = (customer: string) => {
  // A bug, not an input error: the edge and the consumers refuse such ids long before.
  if (!isCustomerId(customer)) throw new Error(`not a customer id: ${JSON.stringify(customer)}`);
  return `{${customer}}`;
};
const k = {
  link: (c: string, source: string) => `identity:${tag(c)}:${source}`,
  sources: (c: string, user: string) => `identity-sources:${tag(c)}:${user}`,
  members: (c: string, s: string) => `segment:${tag(c)}:${s}`,
  ends: (c: string, s: string) => `segment-ends:${tag(c)}:${s}`,
  evidence: (c: string, s: string, source: string) => `evidence:${tag(c)}:${s}:${source}`,
  definitions: (c: string) => `segments:${tag(c)}`,
  customers: 'segment-customers',
  clock: (c: string) => `clock:${tag(c)}`,
  documents: (c: string, kind: string) => `docs:${tag(c)}:${kind}`,
  outbox: 'outbox',
};

/** Raises a failed command of a pipeline; a partial answer is never used. */
function results<T>(replies: Array<[Error | null, unknown]> | null): T[] {
  if (!replies) throw new Error('redis pipeline was discarded');
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value as T;
  });
}

/**
 * Identity and segment state in Redis. Every read is one pipeline; `commit` is one
 * MULTI/EXEC, so a crash leaves either all of a batch's changes or none. Durability is Redis's
 * own: run it with `appendonly yes` (and `appendfsync always` for no loss on power failure).
 */
export function createRedisStore(url: string): StateStore {
  const redis = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: false });
  // A lost connection surfaces as the failure of the commands it held up (retried by the
  // processor's caller as transient); without a listener ioredis also prints every attempt.
  redis.on('error', () => undefined);

  const pipelined = async <T>(build: (p: ReturnType<Redis['pipeline']>) => void) => {
    const pipeline = redis.pipeline();
    build(pipeline);
    return results<T>(await pipeline.exec());
  };

  return {
    async definitions(customers) {
      const hashes = await pipelined<Record<string, string>>((p) => {
        for (const c of customers) p.hgetall(k.definitions(c));
      });
      return hashes.map((hash) =>
        Object.values(hash)
          .map((json) => JSON.parse(json) as SegmentDefinition)
          .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      );
    },
    async putDefinition(customer, definition) {
      await redis
        .multi()
        .hset(k.definitions(customer), definition.id, JSON.stringify(definition))
        .sadd(k.customers, customer)
        .exec();
    },
    async deleteDefinition(customer, segmentId) {
      const removed = await redis.hdel(k.definitions(customer), segmentId);
      if (!removed) return false;
      const evidenceKeys: string[] = [];
      let cursor = '0';
      do {
        // The pattern's only variable part is the last: the customer and segment ids before it
        // hold no glob characters, so it matches this segment's evidence and nothing else.
        const [next, keys] = await redis.scan(
          cursor,
          'MATCH',
          k.evidence(customer, segmentId, '*'),
          'COUNT',
          1000,
        );
        cursor = next;
        evidenceKeys.push(...keys);
      } while (cursor !== '0');
      await redis.del(k.members(customer, segmentId), k.ends(customer, segmentId), ...evidenceKeys);
      if (!(await redis.hlen(k.definitions(customer)))) await redis.srem(k.customers, customer);
      return true;
    },
    async customersWithSegments() {
      return redis.smembers(k.customers);
    },
    async clocks(customers) {
      if (!customers.length) return [];
      const values = await redis.mget(customers.map(k.clock));
      return values.map((v) => (v == null ? null : Number(v)));
    },
    async links(refs) {
      if (!refs.length) return [];
      return redis.mget(refs.map((r) => k.link(r.customer, r.id)));
    },
    async sources(refs) {
      return pipelined<string[]>((p) => {
        for (const r of refs) p.smembers(k.sources(r.customer, r.id));
      });
    },
    async evidence(refs) {
      const replies = await pipelined<string[]>((p) => {
        for (const r of refs)
          p.zrange(k.evidence(r.customer, r.segment, r.source), '0', '-1', 'WITHSCORES');
      });
      return replies.map((flat): Evidence => {
        const evidence: Evidence = new Map();
        for (let i = 0; i < flat.length; i += 2)
          evidence.set(flat[i] as string, Number(flat[i + 1]));
        return evidence;
      });
    },
    async memberships(refs) {
      const scores = await pipelined<string | null>((p) => {
        for (const r of refs) p.zscore(k.ends(r.customer, r.segment), r.id);
      });
      return scores.map((s) => (s == null ? null : Number(s)));
    },
    async due(refs) {
      const replies = await pipelined<string[]>((p) => {
        for (const r of refs) {
          const upTo = Number.isFinite(r.upTo) ? String(r.upTo) : '-inf';
          p.zrangebyscore(k.ends(r.customer, r.segment), '-inf', upTo, 'WITHSCORES');
        }
      });
      return replies.map((flat) => {
        const due: Array<[string, number]> = [];
        for (let i = 0; i < flat.length; i += 2) due.push([flat[i] as string, Number(flat[i + 1])]);
        return due;
      });
    },
    async members(customer, segment, cursor, limit) {
      // SSCAN cursors are unsigned 64-bit integers; Redis refuses anything else with an error.
      if (cursor != null && !/^\d{1,20}$/.test(cursor)) throw new InvalidCursorError(cursor);
      const [next, ids] = await redis.sscan(
        k.members(customer, segment),
        cursor ?? '0',
        'COUNT',
        limit,
      );
      return { ids, next: next === '0' ? null : next };
    },
    async deleteProfile(customer, id) {
      const user = (await redis.get(k.link(customer, id))) ?? id;
      const [sources, segments] = await Promise.all([
        redis.smembers(k.sources(customer, user)),
        redis.hkeys(k.definitions(customer)),
      ]);
      const ids = [user, ...sources];
      const keys = ids.flatMap((source) => [
        k.link(customer, source),
        k.sources(customer, source),
        ...segments.map((segment) => k.evidence(customer, segment, source)),
      ]);
      // One MULTI: the profile disappears at once. A source linked to it between the reads
      // above and here would survive; the API waits for the processor first.
      const multi = redis.multi().del(...keys);
      for (const segment of segments) {
        multi.srem(k.members(customer, segment), ...ids);
        multi.zrem(k.ends(customer, segment), ...ids);
      }
      const [deleted, ...removed] = results<number>(await multi.exec());
      return (deleted ?? 0) + removed.reduce((sum, n) => sum + n, 0) > 0 ? ids : [];
    },
    async putDocument(customer, kind, id, value) {
      await redis.hset(k.documents(customer, kind), id, JSON.stringify(value));
    },
    async listDocuments(customer, kind) {
      const hash = await redis.hgetall(k.documents(customer, kind));
      return Object.keys(hash)
        .sort()
        .map((id) => ({ id, value: JSON.parse(hash[id] as string) as unknown }));
    },
    async deleteDocument(customer, kind, id) {
      return (await redis.hdel(k.documents(customer, kind), id)) > 0;
    },
    async commit(changes: StateChanges) {
      const multi = redis.multi();
      for (const { customer, at } of changes.clocks) {
        // The clock only moves forward, even if an older commit is replayed.
        multi.eval(
          "local c = tonumber(redis.call('GET', KEYS[1]) or '-inf') if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1]) end",
          1,
          k.clock(customer),
          String(at),
        );
      }
      for (const { customer, source, user } of changes.links)
        multi.set(k.link(customer, source), user);
      for (const { customer, user } of changes.sourcesCleared) multi.del(k.sources(customer, user));
      for (const { customer, user, sources } of changes.sourcesAdded) {
        if (sources.length) multi.sadd(k.sources(customer, user), ...sources);
      }
      for (const { customer, segment, source, add, pruneUpTo } of changes.evidence) {
        const key = k.evidence(customer, segment, source);
        if (add.length)
          multi.zadd(key, 'NX', ...add.flatMap(([eventId, at]) => [String(at), eventId]));
        if (Number.isFinite(pruneUpTo)) multi.zremrangebyscore(key, '-inf', pruneUpTo);
      }
      for (const { customer, segment, id, end } of changes.members) {
        if (end == null) {
          multi.srem(k.members(customer, segment), id);
          multi.zrem(k.ends(customer, segment), id);
        } else {
          multi.sadd(k.members(customer, segment), id);
          multi.zadd(k.ends(customer, segment), end, id);
        }
      }
      if (changes.outbox) multi.hset(k.outbox, changes.outbox.id, JSON.stringify(changes.outbox));
      results(await multi.exec());
    },
    async pendingOutbox() {
      const hash = await redis.hgetall(k.outbox);
      return Object.keys(hash)
        .sort()
        .map((id) => JSON.parse(hash[id] as string) as OutboxEntry);
    },
    async clearOutbox(id) {
      await redis.hdel(k.outbox, id);
    },
    async close() {
      await redis.quit();
    },
  };
}
