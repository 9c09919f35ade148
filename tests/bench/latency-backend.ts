/**
 * The latency bench's backend (processor, no ingest) in a process of its own, as it is
 * deployed: latency.ts starts it with `fork` and the JSON of its configuration as the first
 * argument. Over IPC it reports each durable batch's event keys with the time they became
 * durable, answers `status` with its CPU time and its processor's time per step, and stops on
 * `stop` (or when the bench that started it goes away).
 */
import { startBackend } from '../../backend/src/start-backend';
import { BENCH_SEGMENTS } from './event-mix';

const { dataDir, brokers, redisUrl, customer } = JSON.parse(process.argv[2] ?? '{}') as {
  dataDir: string;
  brokers: string;
  redisUrl: string;
  customer: string;
};
/** What this process sends over IPC. */
export type BackendMessage =
  | { type: 'ready' }
  | { type: 'batch'; at: number; keys: string[] }
  | { type: 'status'; cpu: NodeJS.CpuUsage; spentMs: Record<string, number> };

/** What it answers to. */
export type BackendCommand = { type: 'status' } | { type: 'stop' };

const send = (message: BackendMessage) => process.send?.(message);
const backend = await startBackend({
  dataDir,
  port: 0,
  ingestSecret: 'bench',
  kafkaBrokers: [brokers],
  redisUrl,
  roles: { ingest: false },
  onBatch: (batch) => send({ type: 'batch', at: Date.now(), keys: batch.eventKeys }),
});
for (const segment of BENCH_SEGMENTS) await backend.store.putDefinition(customer, segment);
const stop = (code: number) => void backend.stop().finally(() => process.exit(code));
process.on('message', (message: BackendCommand) => {
  if (message.type === 'status') {
    send({ type: 'status', cpu: process.cpuUsage(), spentMs: backend.status().processor.spentMs });
  } else if (message.type === 'stop') {
    stop(0);
  }
});
process.on('disconnect', () => stop(1));
send({ type: 'ready' });
