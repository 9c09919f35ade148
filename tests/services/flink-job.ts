import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  FLINK_JAR,
  FLINK_MODULE,
  startJava,
  type JavaProcess,
} from '../../backend/src/flink/flink-job';

const run = promisify(execFile);

/** What a Java main of the job printed, once it exited 0. */
export interface JavaRun {
  stdout: string;
  log: string;
}

/**
 * Runs a main class of the Flink job jar (a local MiniCluster lives inside that JVM) and resolves
 * with its output when it exits 0; rejects with its log's tail otherwise, or after `timeoutMs`.
 */
export async function runFlinkMain(
  mainClass: string,
  args: string[],
  options: { timeoutMs: number; env?: Record<string, string>; classPath?: string },
): Promise<JavaRun> {
  const java = startJava(
    ['-Xmx1g', '-cp', options.classPath ?? FLINK_JAR, mainClass, ...args],
    options.env,
    { stdout: true },
  );
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  const code = await Promise.race([java.exited, timedOut]);
  clearTimeout(timer);
  if (code === 'timeout') {
    await java.kill9();
    throw new Error(`${mainClass} did not finish in ${options.timeoutMs} ms:\n${java.log()}`);
  }
  if (code !== 0) throw new Error(`${mainClass} exited with ${code}:\n${java.log().slice(-4000)}`);
  return { stdout: java.stdout(), log: java.log() };
}

/** Starts a main class of the job jar that runs until stopped. */
export function startFlinkMain(mainClass: string, env: Record<string, string>): JavaProcess {
  return startJava(['-Xmx1g', '-cp', FLINK_JAR, mainClass], env);
}

const READ_COMMITTED = fileURLToPath(new URL('./kafka/ReadCommitted.java', import.meta.url));

/** A committed record of an output topic. */
export interface CommittedRecord {
  topic: string;
  key: string | null;
  value: unknown;
}

/**
 * Every committed record of `topics`, read by Kafka's own Java consumer with read_committed up
 * to the last stable offset (tests/services/kafka/ReadCommitted.java), in partition order.
 * Needs the Flink job built (its `target/lib` holds kafka-clients).
 */
export async function readCommitted(brokers: string, topics: string[]): Promise<CommittedRecord[]> {
  const { stdout } = await run(
    'java',
    ['-cp', `${FLINK_MODULE}target/lib/*`, READ_COMMITTED, brokers, ...topics],
    { maxBuffer: 256 * 1024 * 1024, timeout: 120_000 },
  );
  return stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as CommittedRecord);
}

/** A partition's last stable offset (below it every transaction has ended) and high watermark. */
export interface PartitionEnds {
  topic: string;
  partition: number;
  stable: number;
  high: number;
}

/** The ends of every partition of `topics`, as Kafka's Java consumer reads them. */
export async function partitionEnds(brokers: string, topics: string[]): Promise<PartitionEnds[]> {
  const { stdout } = await run(
    'java',
    ['-cp', `${FLINK_MODULE}target/lib/*`, READ_COMMITTED, brokers, '--ends', ...topics],
    { timeout: 120_000 },
  );
  return stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as PartitionEnds);
}

/**
 * How many records in offsets [from, to) of a one-partition topic belong to aborted
 * transactions, once every transaction there has ended (rejects if that takes over a minute).
 */
export async function abortedRecords(
  brokers: string,
  topic: string,
  from: number,
  to: number,
): Promise<number> {
  const { stdout } = await run(
    'java',
    [
      '-cp',
      `${FLINK_MODULE}target/lib/*`,
      READ_COMMITTED,
      brokers,
      '--aborted',
      topic,
      String(from),
      String(to),
    ],
    { timeout: 120_000 },
  );
  return Number(stdout.trim());
}

/**
 * Watches `topics` for offsets in an open transaction (a transactional sink holds written,
 * uncommitted records). `watching` resolves once the watcher polls (start the writes then: a
 * JVM can take seconds to start on a busy machine, longer than a checkpoint's open window);
 * `found` resolves when it saw some, and rejects with the reason after `timeoutMs`.
 */
export function watchInFlightOffsets(
  brokers: string,
  topics: string[],
  timeoutMs: number,
): { watching: Promise<void>; found: Promise<void> } {
  const proc = spawn(
    'java',
    ['-cp', `${FLINK_MODULE}target/lib/*`, READ_COMMITTED, brokers, '--await-in-flight', ...topics],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  let markWatching: () => void = () => undefined;
  const watching = new Promise<void>((resolve) => (markWatching = resolve));
  proc.stdout.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('watching')) markWatching();
  });
  const found = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(
        new Error(
          `no offsets in an open transaction on ${topics.join(', ')} within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`the in-flight watcher exited with ${code}: ${stderr}`));
    });
  });
  // A watcher that dies before it watches fails `watching` too, through `found`.
  return { watching: Promise.race([watching, found]), found };
}
