import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startJava, type JavaProcess } from '../../backend/src/flink/flink-job';

const run = promisify(execFile);

/** backend/flink: the Flink job's Maven module. */
export const FLINK_DIR = fileURLToPath(new URL('../../backend/flink/', import.meta.url));
const JAR = `${FLINK_DIR}target/pulse-flink.jar`;

/**
 * Builds the Flink job (`target/pulse-flink.jar`, its runtime jars in `target/lib`; with
 * `clusterJar`, also the one jar for a cluster, `target/pulse-flink-cluster.jar`) offline:
 * `.ci/run` resolves the dependencies beforehand, as it does for the Kafka broker.
 */
export async function buildFlinkJob(options: { clusterJar?: boolean } = {}): Promise<void> {
  const profile = options.clusterJar ? ['-Pcluster-jar'] : [];
  await run(
    'mvn',
    ['-q', '-B', '-o', '-f', `${FLINK_DIR}pom.xml`, 'package', '-DskipTests', ...profile],
    { maxBuffer: 16 * 1024 * 1024 },
  );
}

/** What a Java main of the job printed, once it exited 0. */
export interface JavaRun {
  stdout: string;
  stderr: string;
}

/**
 * Runs a main class of the Flink job jar (a local MiniCluster lives inside that JVM) and resolves
 * with its output when it exits 0; rejects with its stderr otherwise, or after `timeoutMs`.
 */
export function runFlinkMain(
  mainClass: string,
  args: string[],
  options: { timeoutMs: number; env?: Record<string, string>; classPath?: string },
): Promise<JavaRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', ['-Xmx1g', '-cp', options.classPath ?? JAR, mainClass, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${mainClass} did not finish in ${options.timeoutMs} ms:\n${stderr}`));
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${mainClass} exited with ${code}:\n${stderr.slice(-4000)}`));
    });
  });
}

/** A long-running main of the job jar (the Kafka job), owned by a test. */
export type FlinkProcess = JavaProcess;

/** Starts a main class of the job jar that runs until stopped. */
export function startFlinkMain(mainClass: string, env: Record<string, string>): FlinkProcess {
  return startJava(['-Xmx1g', '-cp', JAR, mainClass], env);
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
    ['-cp', `${FLINK_DIR}target/lib/*`, READ_COMMITTED, brokers, ...topics],
    { maxBuffer: 256 * 1024 * 1024, timeout: 120_000 },
  );
  return stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as CommittedRecord);
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
    ['-cp', `${FLINK_DIR}target/lib/*`, READ_COMMITTED, brokers, '--await-in-flight', ...topics],
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
