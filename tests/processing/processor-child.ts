import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SegmentChange } from '@pulse/contract';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface ProcessorChildOptions {
  dataDir: string;
  /** Kafka and Redis for the scale mode; without them the process runs embedded. */
  brokers?: string;
  redisUrl?: string;
  groupId?: string;
  /** Run ingest too, on this port (the embedded mode takes its events over HTTP). */
  ingestPort?: number;
  ingestSecret?: string;
  /** PULSE_ROLES; by default `ingest,processor` with an ingest port, else `processor`. */
  roles?: 'ingest' | 'processor' | 'ingest,processor';
  /** More of the backend's environment (docs/configuration.md), e.g. PULSE_API_KEYS. */
  env?: Record<string, string>;
}

/**
 * The backend as a separate process (backend/src/main.ts: the processor, and ingest when asked),
 * so a test can `kill -9` it mid-stream and start it again on the same Kafka group, Redis, chdb
 * and embedded state.
 * It follows the process's batch log to know what became durable.
 */
export interface ProcessorChild {
  /** Every change the processor reported durable, across restarts, in order. */
  readonly changes: SegmentChange[];
  /** How many times each `customer_id/event_id` was in a published batch, across restarts. */
  readonly processed: Map<string, number>;
  start(): Promise<void>;
  /** Resolves once `customer_id/event_id` was in a published batch. */
  waitFor(eventKey: string, timeoutMs?: number): Promise<void>;
  /** Sends a clock tick and resolves with the changes it made. */
  tick(at: number): Promise<SegmentChange[]>;
  kill9(): Promise<void>;
  /** SIGTERM, then waits for a clean exit (chdb and LMDB closed); SIGKILL if that hangs. */
  stop(): Promise<void>;
}

/** How long a start, a tick or an event may take before the harness gives up and says where. */
const LIMITS = { startMs: 120_000, tickMs: 60_000, eventMs: 60_000, stopMs: 25_000 };

export function processorChild(options: ProcessorChildOptions): ProcessorChild {
  const changes: SegmentChange[] = [];
  const processed = new Map<string, number>();
  /** Pending waits: each is told of every batch, and of the process exiting under it. */
  const waiters = new Set<{ check: () => void; fail: (error: Error) => void }>();
  let tickWaiter:
    { done: (made: SegmentChange[]) => void; fail: (error: Error) => void } | undefined;
  let child: ChildProcess | undefined;
  let statusWaiter: ((line: string) => void) | undefined;
  /** The last lines the processes wrote to stderr (its JSON log), for the error of a timeout. */
  const stderrTail: string[] = [];

  const exited = (proc: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (proc.exitCode != null || proc.signalCode != null) return resolve();
      proc.once('exit', () => resolve());
    });
  const alive = (proc: ChildProcess | undefined): proc is ChildProcess =>
    proc != null && proc.exitCode == null && proc.signalCode == null;

  /** The process's own account of what it is doing (SIGUSR2), for the error of a timeout. */
  const status = async (): Promise<string> => {
    const proc = child;
    if (!alive(proc)) return 'the process is not running';
    const line = new Promise<string>((resolve) => {
      statusWaiter = resolve;
      setTimeout(() => resolve('no status within 2 s'), 2_000);
    });
    proc.kill('SIGUSR2');
    return line;
  };
  /** Rejects with `what` and the process's status when `work` takes longer than `ms`. */
  const bounded = <T>(what: string, ms: number, work: Promise<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void status().then((said) =>
          reject(
            new Error(
              `${what}: nothing within ${ms} ms; processor status: ${said}; its last log lines:\n${stderrTail.join('\n')}`,
            ),
          ),
        );
      }, ms);
    });
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  };

  return {
    changes,
    processed,
    start: () => {
      const proc = spawn(process.execPath, ['--import', 'tsx', 'backend/src/main.ts'], {
        cwd: root,
        env: {
          ...process.env,
          PULSE_ROLES: options.roles ?? (options.ingestPort ? 'ingest,processor' : 'processor'),
          PORT: String(options.ingestPort ?? 0),
          PULSE_DATA_DIR: options.dataDir,
          KAFKA_BROKERS: options.brokers ?? '',
          PULSE_KAFKA_REPLICATION: '1',
          REDIS_URL: options.redisUrl ?? '',
          PULSE_GROUP_ID: options.groupId ?? 'pulse-processor',
          INGEST_SECRET: options.ingestSecret ?? 'restart',
          PULSE_TICK_MS: '0',
          PULSE_WAREHOUSE_TTL: '0',
          PULSE_LOG_BATCHES: '1',
          PULSE_TICKS_FROM_PARENT: '1',
          // A killed processor keeps its partitions until its session expires: the broker's minimum.
          PULSE_SESSION_TIMEOUT_MS: '6000',
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      // Passed on as it comes, and the tail kept for the error of a timeout.
      createInterface({ input: proc.stderr! }).on('line', (line) => {
        process.stderr.write(`${line}\n`);
        stderrTail.push(line.slice(0, 2000));
        if (stderrTail.length > 40) stderrTail.shift();
      });
      child = proc;
      const ready = new Promise<void>((resolve, reject) => {
        proc.once('exit', (code, signal) => {
          const error = new Error(`processor exited (${code ?? signal})`);
          reject(error);
          // Whoever waits on this process hears that it is gone, unless a test killed it.
          if (child !== proc || signal === 'SIGKILL') return;
          tickWaiter?.fail(error);
          for (const waiter of waiters) waiter.fail(error);
        });
        createInterface({ input: proc.stdout! }).on('line', (line) => {
          if (!line.startsWith('{')) return;
          const message = JSON.parse(line) as {
            ready?: unknown;
            status?: unknown;
            batch?: { events: string[]; changes: SegmentChange[] };
            tick?: { changes?: SegmentChange[]; error?: string };
          };
          if (message.ready) resolve();
          if (message.status) statusWaiter?.(line);
          if (message.batch) {
            for (const id of message.batch.events) processed.set(id, (processed.get(id) ?? 0) + 1);
            changes.push(...message.batch.changes);
            for (const waiter of waiters) waiter.check();
          }
          if (message.tick) {
            if (message.tick.error) {
              tickWaiter?.fail(new Error(`tick failed: ${message.tick.error}`));
            } else {
              changes.push(...(message.tick.changes ?? []));
              tickWaiter?.done(message.tick.changes ?? []);
            }
          }
        });
      });
      return bounded('processor start', LIMITS.startMs, ready).catch(async (error: unknown) => {
        if (alive(proc)) proc.kill('SIGKILL');
        await exited(proc);
        throw error;
      });
    },
    waitFor: (eventKey, timeoutMs = LIMITS.eventMs) => {
      let waiter: { check: () => void; fail: (error: Error) => void } | undefined;
      const seen = new Promise<void>((resolve, reject) => {
        waiter = {
          check: () => {
            if (processed.has(eventKey)) resolve();
          },
          fail: reject,
        };
        waiters.add(waiter);
        waiter.check();
      });
      return bounded(`event ${eventKey}`, timeoutMs, seen).finally(() => waiters.delete(waiter!));
    },
    tick: (at) => {
      const made = new Promise<SegmentChange[]>((resolve, reject) => {
        if (!alive(child)) return reject(new Error('tick: the processor is not running'));
        tickWaiter = { done: resolve, fail: reject };
        child.send({ tick: at });
      });
      return bounded(`tick ${new Date(at).toISOString()}`, LIMITS.tickMs, made).finally(
        () => (tickWaiter = undefined),
      );
    },
    async kill9() {
      const proc = child;
      if (!alive(proc)) return;
      proc.kill('SIGKILL');
      await exited(proc);
    },
    async stop() {
      const proc = child;
      if (!alive(proc)) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), LIMITS.stopMs);
      await exited(proc);
      clearTimeout(timer);
    },
  };
}
