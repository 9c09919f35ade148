import { Cluster, Redis, type ChainableCommander } from 'ioredis';
import { isCustomerId, type SegmentDefinition } from '@pulse/contract';
import { entryOf, groupBy } from '../map-entry';
import {
  InvalidCursorError,
  type Evidence,
  type OutboxEntry,
  type StateChanges,
  type StateStore,
} from './state-store';

/*
 * Keys (docs/architecture.md, "Processing semantics"); `{c}` is the customer id in braces, a Redis
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

/**
 * `StateChanges.sourcesAdded` of one user: adds ARGV[4…] to the set of the user's canonical
 * profile, the user (ARGV[3]) followed along its links until one with none (a user merged
 * into another keeps no set of its own). KEYS name the first user's link and set, for the
 * cluster's routing; every key is built from its prefix (ARGV[1], ARGV[2]), whose `{c}` hash
 * tag keeps it in the customer's slot. A cycle (no commit makes one) stops where it closes.
 * SADD takes the sources in chunks: Lua's unpack has a bounded stack.
 */
const ADD_TO_CANONICAL = `
local user = ARGV[3]
local seen = { [user] = true }
while true do
  local next = redis.call('GET', ARGV[1] .. user)
  if not next or seen[next] then break end
  seen[next] = true
  user = next
end
for i = 4, #ARGV, 1000 do
  redis.call('SADD', ARGV[2] .. user, unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
`;

/** Every key's reply of one command, for KEYS of one slot: SMEMBERS or ZRANGE … WITHSCORES. */
const READ_EACH = `
local out = {}
for i, key in ipairs(KEYS) do
  if ARGV[1] == 'sets' then out[i] = redis.call('SMEMBERS', key)
  else out[i] = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES') end
end
return out
`;

/** Keys per read command: a batch's reads are a few commands, none of them long. */
const KEYS_PER_READ = 1000;

/**
 * Reads the keys of `refs` a chunk of one group's keys at a time and answers in the order of
 * `refs`. A group is one customer's keys at least (one slot: one command serves them on a
 * cluster too). A batch reads tens of thousands of keys: one command per key kept as many
 * replies pending at once, and collecting them took more time than anything else the
 * processor did (most of it in the garbage collector, whose young generation they filled).
 */
async function readInGroups<R, T>(
  refs: readonly R[],
  groupOf: (ref: R) => string,
  read: (group: string, refs: R[]) => Promise<T[]>,
): Promise<T[]> {
  const out = new Array<T>(refs.length);
  const indexes = groupBy(
    refs.map((_, i) => i),
    (i) => groupOf(refs[i] as R),
  );
  const reads = [...indexes].flatMap(([group, all]) =>
    chunks(all, KEYS_PER_READ).map(async (chunk) => {
      const values = await read(
        group,
        chunk.map((i) => refs[i] as R),
      );
      chunk.forEach((i, j) => (out[i] = values[j] as T));
    }),
  );
  await Promise.all(reads);
  return out;
}

/**
 * `StateChanges.evidence` of one customer: for each KEYS[i], ARGV holds the prune bound ('' for
 * none), the number of event ids added, then their (time, event id) pairs. Added with NX (the
 * first time of an event id wins), then pruned, as one ZADD and one ZREMRANGEBYSCORE per key
 * did before: a batch's commit is a few commands, not one or two per key.
 */
const APPLY_EVIDENCE = `
local a = 1
for _, key in ipairs(KEYS) do
  local prune, n = ARGV[a], tonumber(ARGV[a + 1])
  a = a + 2
  for j = a, a + 2 * n - 1, 2 do redis.call('ZADD', key, 'NX', ARGV[j], ARGV[j + 1]) end
  a = a + 2 * n
  if prune ~= '' then redis.call('ZREMRANGEBYSCORE', key, '-inf', prune) end
end
`;

/**
 * `StateChanges.members` of one segment (KEYS: its members set and ends sorted set): ARGV holds
 * (id, end) pairs, end '' for a member that left.
 */
const APPLY_MEMBERS = `
for i = 1, #ARGV, 2 do
  local id, e = ARGV[i], ARGV[i + 1]
  if e == '' then
    redis.call('SREM', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
  else
    redis.call('SADD', KEYS[1], id)
    redis.call('ZADD', KEYS[2], e, id)
  end
end
`;

/** Entries per write command of a commit (a long script holds Redis up). */
const ENTRIES_PER_WRITE = 500;

/** `items` in slices of at most `size`. */
function chunks<T>(items: readonly T[], size = ENTRIES_PER_WRITE): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Raises a failed command of a pipeline; a partial answer is never used. */
function results<T>(replies: Array<[Error | null, unknown]> | null): T[] {
  if (!replies) throw new Error('redis pipeline was discarded');
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value as T;
  });
}

/** A single Redis (`redis://…`), or the nodes of a Redis Cluster to discover it from. */
export type RedisTarget = string | { cluster: string[] };

/** One place that makes the client: a node or a cluster, auto-pipelined either way. */
export function connectRedis(target: RedisTarget): Redis | Cluster {
  if (typeof target == 'string') {
    return new Redis(target, { maxRetriesPerRequest: 3, enableAutoPipelining: true });
  }
  const nodes = target.cluster.map((node) => {
    const [host = '127.0.0.1', port = '6379'] = node.replace(/^redis:\/\//, '').split(':');
    return { host, port: Number(port) };
  });
  return new Cluster(nodes, {
    enableAutoPipelining: true,
    redisOptions: { maxRetriesPerRequest: 3 },
  });
}

/**
 * Identity and segment state in Redis, a single node or a Cluster (ElastiCache in cluster
 * mode). Reads are single commands that ioredis pipelines per node; every key of a customer
 * shares one hash slot (`{c}`), so a customer's changes always commit in one MULTI/EXEC.
 *
 * On a single node the whole batch is one MULTI/EXEC, so a crash leaves either all of a
 * batch's changes or none. On a cluster a MULTI cannot span slots: the batch's outbox entry
 * is written first, then one MULTI per customer. A crash in between leaves some customers
 * committed; the replayed batch plans nothing new for them (their evidence and memberships
 * are already there) and the same changes for the others, while the recovered outbox
 * announces what was planned: a change may be announced twice (same key and time, absorbed
 * downstream as every replay is), never lost. Durability is Redis's own: run it with
 * `appendonly yes` (and `appendfsync always` for no loss on power failure).
 */
export function createRedisStore(target: RedisTarget): StateStore {
  const redis = connectRedis(target);
  const isCluster = redis instanceof Cluster;
  // A lost connection surfaces as the failure of the commands it held up (retried by the
  // processor's caller as transient); without a listener ioredis also prints every attempt.
  redis.on('error', () => undefined);

  /** Every key matching `pattern`, on every master of a cluster. */
  const scanAll = async (pattern: string): Promise<string[]> => {
    const found: string[] = [];
    for (const node of isCluster ? redis.nodes('master') : [redis]) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        found.push(...keys);
      } while (cursor !== '0');
    }
    return found;
  };

  /** SMEMBERS (`sets`) or ZRANGE … WITHSCORES (`sorted`) of each of `keys`, one slot's. */
  const readEach = async (kind: 'sets' | 'sorted', keys: string[]): Promise<string[][]> =>
    keys.length ? ((await redis.eval(READ_EACH, keys.length, ...keys, kind)) as string[][]) : [];

  const clearSegment = async (customer: string, segmentId: string) => {
    // The pattern's only variable part is the last: the customer and segment ids before it
    // hold no glob characters, so it matches this segment's evidence and nothing else.
    const evidenceKeys = await scanAll(k.evidence(customer, segmentId, '*'));
    await redis.del(k.members(customer, segmentId), k.ends(customer, segmentId), ...evidenceKeys);
  };

  return {
    async definitions(customers) {
      const hashes = await Promise.all(customers.map((c) => redis.hgetall(k.definitions(c))));
      return hashes.map((hash) =>
        Object.values(hash)
          .map((json) => JSON.parse(json) as SegmentDefinition)
          .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      );
    },
    async putDefinition(customer, definition) {
      // Two slots on a cluster: the customer is listed first, so a customer with definitions
      // is always in the list (an extra entry is harmless: it has no segments to tick).
      await redis.sadd(k.customers, customer);
      await redis.hset(k.definitions(customer), definition.id, JSON.stringify(definition));
    },
    async deleteDefinition(customer, segmentId) {
      const removed = await redis.hdel(k.definitions(customer), segmentId);
      if (!removed) return false;
      await clearSegment(customer, segmentId);
      if (!(await redis.hlen(k.definitions(customer)))) await redis.srem(k.customers, customer);
      return true;
    },
    clearSegment,
    async customersWithSegments() {
      return redis.smembers(k.customers);
    },
    async clocks(customers) {
      const values = await Promise.all(customers.map((c) => redis.get(k.clock(c))));
      return values.map((v) => (v == null ? null : Number(v)));
    },
    async links(refs) {
      return readInGroups(
        refs,
        (r) => r.customer,
        (c, chunk) => redis.mget(chunk.map((r) => k.link(c, r.id))),
      );
    },
    async sources(refs) {
      return readInGroups(
        refs,
        (r) => r.customer,
        (c, chunk) =>
          readEach(
            'sets',
            chunk.map((r) => k.sources(c, r.id)),
          ),
      );
    },
    async evidence(refs) {
      const replies = await readInGroups(
        refs,
        (r) => r.customer,
        (c, chunk) =>
          readEach(
            'sorted',
            chunk.map((r) => k.evidence(c, r.segment, r.source)),
          ),
      );
      return replies.map((flat): Evidence => {
        const evidence: Evidence = new Map();
        for (let i = 0; i < flat.length; i += 2)
          evidence.set(flat[i] as string, Number(flat[i + 1]));
        return evidence;
      });
    },
    async memberships(refs) {
      // One ZMSCORE (Redis 6.2) per customer, segment and chunk of ids.
      const scores = await readInGroups(
        refs,
        (r) => `${r.customer}\u0000${r.segment}`,
        (_, chunk) =>
          redis.zmscore(k.ends(chunk[0]!.customer, chunk[0]!.segment), ...chunk.map((r) => r.id)),
      );
      return scores.map((s) => (s == null ? null : Number(s)));
    },
    async due(refs) {
      const replies = await Promise.all(
        refs.map((r) => {
          const upTo = Number.isFinite(r.upTo) ? String(r.upTo) : '-inf';
          return redis.zrangebyscore(k.ends(r.customer, r.segment), '-inf', upTo, 'WITHSCORES');
        }),
      );
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
    async getDocument(customer, kind, id) {
      const json = await redis.hget(k.documents(customer, kind), id);
      return json == null ? undefined : (JSON.parse(json) as unknown);
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
      // Each customer's commands, in the order a single MULTI ran them before.
      const byCustomer = new Map<string, Array<(m: ChainableCommander) => void>>();
      const of = (customer: string) => entryOf(byCustomer, customer, () => []);
      for (const { customer, at } of changes.clocks) {
        // The clock only moves forward, even if an older commit is replayed.
        of(customer).push((m) =>
          m.eval(
            "local c = tonumber(redis.call('GET', KEYS[1]) or '-inf') if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1]) end",
            1,
            k.clock(customer),
            String(at),
          ),
        );
      }
      for (const [customer, links] of groupBy(changes.links, (l) => l.customer))
        for (const chunk of chunks(links))
          of(customer).push((m) =>
            m.mset(...chunk.flatMap(({ source, user }) => [k.link(customer, source), user])),
          );
      for (const { customer, user } of changes.sourcesCleared)
        of(customer).push((m) => m.del(k.sources(customer, user)));
      for (const { customer, user, sources } of changes.sourcesAdded) {
        if (!sources.length) continue;
        // The user's link is read in the same MULTI (see ADD_TO_CANONICAL): no commit of
        // another partition can link the user between the read and the add.
        of(customer).push((m) =>
          m.eval(
            ADD_TO_CANONICAL,
            2,
            k.link(customer, user),
            k.sources(customer, user),
            k.link(customer, ''),
            k.sources(customer, ''),
            user,
            ...sources,
          ),
        );
      }
      for (const [customer, evidence] of groupBy(changes.evidence, (e) => e.customer))
        for (const chunk of chunks(evidence)) {
          const keys = chunk.map((e) => k.evidence(customer, e.segment, e.source));
          const args = chunk.flatMap(({ add, pruneUpTo }) => [
            Number.isFinite(pruneUpTo) ? String(pruneUpTo) : '',
            String(add.length),
            ...add.flatMap(([eventId, at]) => [String(at), eventId]),
          ]);
          of(customer).push((m) => m.eval(APPLY_EVIDENCE, keys.length, ...keys, ...args));
        }
      const bySegment = groupBy(changes.members, (m) => `${m.customer}\u0000${m.segment}`);
      for (const members of bySegment.values()) {
        const { customer, segment } = members[0]!;
        for (const chunk of chunks(members))
          of(customer).push((m) =>
            m.eval(
              APPLY_MEMBERS,
              2,
              k.members(customer, segment),
              k.ends(customer, segment),
              ...chunk.flatMap(({ id, end }) => [id, end == null ? '' : String(end)]),
            ),
          );
      }
      const outbox = changes.outbox;
      if (!isCluster) {
        const multi = redis.multi();
        for (const commands of byCustomer.values()) for (const add of commands) add(multi);
        if (outbox) multi.hset(k.outbox, outbox.id, JSON.stringify(outbox));
        results(await multi.exec());
        return;
      }
      // See the note on createRedisStore: the outbox first, then a MULTI per customer slot.
      if (outbox) await redis.hset(k.outbox, outbox.id, JSON.stringify(outbox));
      for (const commands of byCustomer.values()) {
        const multi = redis.multi();
        for (const add of commands) add(multi);
        results(await multi.exec());
      }
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
    async ping() {
      await redis.ping();
    },
    async close() {
      await redis.quit();
    },
  };
}
