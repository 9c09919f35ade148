import { randomUUID } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { log } from '../log';
import { connectRedis, type RedisTarget } from '../state/redis-store';

export interface ProcessorLeaseOptions {
  redis: RedisTarget;
  /** One lease per consumer group: the processors that would share its partitions. */
  groupId: string;
  /** How long the lease lasts without a renewal. @default PROCESSOR_LEASE_MS */
  leaseMs?: number;
  /** Another process may hold the lease now: this one stops processing (back to standby). */
  onLost?: (error: Error) => void;
}

/** How long a processor's lease lasts without a renewal: a crashed leader's standby waits this. */
export const PROCESSOR_LEASE_MS = 10_000;

/** How often a standby tries for the lease at most (ms): it leads soon after a clean stop. */
const STANDBY_POLL_MS = 1_000;

export type LeaseState = 'standby' | 'leader' | 'lost' | 'released';

/**
 * The right to process one consumer group's events (the TS processor is the single-node
 * engine: two would race on a user's state). Processes that start beside a leader wait as
 * standbys and take over once its lease expires, or at once when it stops cleanly.
 */
export interface ProcessorLease {
  /** `host/pid-namespace:pid:random`, the value of the lease's key while this process holds it. */
  token: string;
  /** Resolves once this process holds the lease; rejects when it is released first. */
  acquired: Promise<void>;
  /** Resolves when the lease is lost, or released. */
  ended: Promise<void>;
  state(): LeaseState;
  /**
   * Whether this process may commit now: it is the leader and Redis confirmed its lease within
   * the last half lease, so at least half a lease is left for the commit to land in.
   */
  held(): boolean;
  /** Gives the lease up (a standby takes over at once) and closes the connection. */
  release(): Promise<void>;
}

/** Renews only the lease this process holds: 1, or 0 when it is gone or someone else's. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
/** Takes the lease from a holder known to be dead: only if it still holds it. */
const TAKE_OVER = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1]) else return 0 end`;

/** A processor that lost its lease: retriable, so no batch is quarantined for it. */
export class LeaseLostError extends Error {
  readonly retriable = true;
  constructor(message: string) {
    super(message);
    this.name = 'LeaseLostError';
  }
}

/**
 * Tries for the lease in Redis (`SET key token NX PX leaseMs`) every second (or quarter lease
 * when shorter) until it holds it (or takes it from a process of this host that died), then
 * renews it every quarter lease. A renewal that finds the key gone or someone else's means
 * another process may be processing: the state turns `lost`, `held()` is false from then on,
 * and `onLost` is called once. A renewal that fails (Redis unreachable) only
 * lets `held()` run out, since a commit could not land either.
 *
 * What it rules out: two processors committing batches or ticks in the same stretch of time.
 * What it does not: a process stopped for longer than half a lease between its `held()` check
 * and its commit reaching Redis (the check comes right before each batch's processing).
 */
export function startProcessorLease(options: ProcessorLeaseOptions): ProcessorLease {
  const leaseMs = options.leaseMs ?? PROCESSOR_LEASE_MS;
  const key = `pulse:processor-lease:${options.groupId}`;
  const token = `${HOME}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const redis = connectRedis(options.redis);
  // Failed commands answer with their errors; the connection's own are not worth a log line.
  redis.on('error', () => undefined);
  let state: LeaseState = 'standby';
  let confirmedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let wake: () => void = () => undefined;
  let end: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (end = resolve));

  const lose = (why: string) => {
    if (state !== 'leader') return;
    state = 'lost';
    clearInterval(timer);
    end();
    options.onLost?.(new LeaseLostError(`processor lease ${key} lost: ${why}`));
  };
  const renew = async () => {
    const sentAt = performance.now();
    try {
      const renewed = await redis.eval(RENEW, 1, key, token, String(leaseMs));
      if (Number(renewed) === 1) confirmedAt = Math.max(confirmedAt, sentAt);
      else lose('it expired and is gone or held by another process');
    } catch {
      // Redis is out of reach: held() runs out on its own.
    }
  };

  const acquired = (async () => {
    while (state === 'standby') {
      const sentAt = performance.now();
      let reply: unknown = await redis.set(key, token, 'PX', leaseMs, 'NX').catch(() => null);
      if (reply !== 'OK') {
        const holder = await redis.get(key).catch(() => null);
        if (holder && diedOnThisHost(holder)) {
          reply = await redis.eval(TAKE_OVER, 1, key, holder, token, leaseMs).catch(() => null);
          if (reply === 'OK')
            log.info(
              { lease: token, from: holder },
              'processor: took the lease of a process that died on this host',
            );
        }
      }
      if (reply === 'OK') {
        if (state !== 'standby') break; // released meanwhile: release() gives the key back
        state = 'leader';
        confirmedAt = sentAt;
        timer = setInterval(() => void renew(), leaseMs / 4);
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.min(leaseMs / 4, STANDBY_POLL_MS)).unref();
      });
    }
    throw new LeaseLostError(`processor lease ${key}: released before it was acquired`);
  })();
  acquired.catch(() => undefined);

  return {
    token,
    acquired,
    ended,
    state: () => state,
    held: () => state === 'leader' && performance.now() - confirmedAt < leaseMs / 2,
    release: async () => {
      state = 'released';
      clearInterval(timer);
      wake();
      await acquired.catch(() => undefined);
      await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
      redis.disconnect();
      end();
    },
  };
}

/**
 * Where this process's pid means something: the host name and, on Linux, the pid namespace (two
 * containers may share a host name, with `hostNetwork`, but never a pid namespace).
 */
const HOME = ((): string => {
  try {
    return `${hostname()}/${readlinkSync('/proc/self/ns/pid').replace(/\D/g, '')}`;
  } catch {
    return hostname();
  }
})();

/**
 * Whether a holder's token names another process of this host (and pid namespace) that is
 * gone: a supervisor's restart after a crash takes the lease at once instead of after it
 * expires. A token of elsewhere, or of a live process (or of one whose pid was reused since),
 * waits for the expiry.
 */
function diedOnThisHost(holder: string): boolean {
  const [home, pid] = holder.split(':');
  const number = Number(pid);
  if (home !== HOME || !Number.isInteger(number) || number === process.pid) return false;
  try {
    process.kill(number, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
