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
  /** SIGTERM, then waits for a clean exit (chdb and LMDB closed). */
  stop(): Promise<void>;
}

export function processorChild(options: ProcessorChildOptions): ProcessorChild {
  const changes: SegmentChange[] = [];
  const processed = new Map<string, number>();
  const waiters = new Set<() => void>();
  let tickWaiter: ((changes: SegmentChange[]) => void) | undefined;
  let child: ChildProcess | undefined;
  const notify = () => {
    for (const waiter of waiters) waiter();
  };

  const exited = (proc: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (proc.exitCode != null || proc.signalCode != null) return resolve();
      proc.once('exit', () => resolve());
    });

  return {
    changes,
    processed,
    start: () =>
      new Promise((resolve, reject) => {
        const proc = spawn(process.execPath, ['--import', 'tsx', 'backend/src/main.ts'], {
          cwd: root,
          env: {
            ...process.env,
            PULSE_ROLES: options.ingestPort ? 'ingest,processor' : 'processor',
            PORT: String(options.ingestPort ?? 0),
            PULSE_DATA_DIR: options.dataDir,
            KAFKA_BROKERS: options.brokers ?? '',
            REDIS_URL: options.redisUrl ?? '',
            PULSE_GROUP_ID: options.groupId ?? 'pulse-processor',
            INGEST_SECRET: options.ingestSecret ?? 'restart',
            PULSE_TICK_MS: '0',
            PULSE_WAREHOUSE_TTL: '0',
            PULSE_LOG_BATCHES: '1',
            PULSE_TICKS_FROM_STDIN: '1',
            // A killed processor keeps its partitions until its session expires: the broker's minimum.
            PULSE_SESSION_TIMEOUT_MS: '6000',
          },
          stdio: ['pipe', 'pipe', 'inherit'],
        });
        child = proc;
        proc.once('exit', (code, signal) =>
          reject(new Error(`processor exited (${code ?? signal}) before ready`)),
        );
        createInterface({ input: proc.stdout! }).on('line', (line) => {
          if (!line.startsWith('{')) return;
          const message = JSON.parse(line) as {
            ready?: unknown;
            batch?: { events: string[]; changes: SegmentChange[] };
            tick?: { changes: SegmentChange[] };
          };
          if (message.ready) resolve();
          if (message.batch) {
            for (const id of message.batch.events) processed.set(id, (processed.get(id) ?? 0) + 1);
            changes.push(...message.batch.changes);
            notify();
          }
          if (message.tick) {
            changes.push(...message.tick.changes);
            tickWaiter?.(message.tick.changes);
          }
        });
      }),
    waitFor: (eventKey, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!processed.has(eventKey)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`event ${eventKey} was not processed within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    tick: (at) =>
      new Promise((resolve) => {
        tickWaiter = (made) => {
          tickWaiter = undefined;
          resolve(made);
        };
        child!.stdin!.write(`${JSON.stringify({ tick: at })}\n`);
      }),
    async kill9() {
      if (!child) return;
      const proc = child;
      proc.kill('SIGKILL');
      await exited(proc);
    },
    async stop() {
      if (!child) return;
      const proc = child;
      proc.kill('SIGTERM');
      await exited(proc);
    },
  };
}
