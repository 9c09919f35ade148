import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { SegmentDefinition } from '@pulse/contract';
import type { StateStore } from '../state/state-store';

/** backend/flink: the Flink job's Maven module. */
export const FLINK_MODULE = fileURLToPath(new URL('../../flink/', import.meta.url));
export const FLINK_JAR = join(FLINK_MODULE, 'target', 'pulse-flink.jar');

export interface FlinkJobOptions {
  brokers: string[];
  /** customer_id → its segment definitions at a fresh start (later ones come through the segment API). */
  segments: Record<string, SegmentDefinition[]>;
  /** Where the job keeps its segments file and its checkpoints (a new start resumes from them). */
  dir: string;
  /** @default 500: outputs are visible when a checkpoint ends, so this bounds their staleness. */
  checkpointMs?: number;
  /** @default 1 */
  parallelism?: number;
  /** Consumer group and transactional-id prefix of the job. @default 'pulse-flink' */
  group?: string;
  /** How often the wall clock ticks each customer with segments (ms), 0 never. @default 1000 */
  tickMs?: number;
  /** The JVM's heap. @default '1g' */
  heap?: string;
}

/** A JVM this process started (the Flink job, or a part of a Flink cluster). */
export interface JavaProcess {
  /** The tail of what it printed (stdout and stderr), for failure messages. */
  log(): string;
  /** Resolves with its exit code (or null when killed by a signal) once it exited. */
  exited: Promise<number | null>;
  /** Whether it is still running. */
  running(): boolean;
  /** Stops it (SIGTERM, then SIGKILL after 10 s); resolves once it exited. */
  stop(): Promise<void>;
  /** Kills it at once (SIGKILL: no shutdown, as a machine that dies); resolves once it exited. */
  kill9(): Promise<void>;
  /** All it wrote to stdout, when started with `{ stdout: true }` (else ''). */
  stdout(): string;
}

/**
 * Starts `java` with `args` and `env` over this process's environment, keeping its log's tail,
 * and with `options.stdout` all it writes to stdout (a main that answers there).
 */
export function startJava(
  args: string[],
  env: Record<string, string> = {},
  options: { stdout?: boolean } = {},
): JavaProcess {
  const child = spawn('java', args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  let stdout = '';
  const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-16_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  if (options.stdout) child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((done) => {
    child.once('exit', (code) => done(code));
    child.once('error', (error) => {
      log += `\n${error.message}`;
      done(null);
    });
  });
  const running = () => child.exitCode == null && child.signalCode == null;
  return {
    log: () => log,
    stdout: () => stdout,
    exited,
    running,
    async stop() {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async kill9() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Every customer's segment definitions in the state store, as the job's segments file wants them. */
export async function segmentsOf(store: StateStore): Promise<Record<string, SegmentDefinition[]>> {
  const customers = await store.customersWithSegments();
  const definitions = await store.definitions(customers);
  return Object.fromEntries(customers.map((customer, i) => [customer, definitions[i] ?? []]));
}

/**
 * Builds the job (`mvn package`): `target/pulse-flink.jar` with its runtime jars in `target/lib`,
 * and with `clusterJar` the one jar for a cluster (`target/pulse-flink-cluster.jar`). `offline`
 * builds from ~/.m2 alone (the tests: `.ci/run` resolves the dependencies first); `whenStale`
 * builds only when a source or the pom is newer than the jar (`npm run dev`, so a pulled change
 * is never run from an old jar). Rejects with Maven's output when the build fails.
 */
export async function buildFlinkJar(
  options: { offline?: boolean; clusterJar?: boolean; whenStale?: boolean } = {},
): Promise<void> {
  if (options.whenStale && !jarIsStale()) return;
  const args = [
    '-q',
    '-B',
    ...(options.offline ? ['-o'] : []),
    '-f',
    join(FLINK_MODULE, 'pom.xml'),
    'package',
    '-DskipTests',
    ...(options.clusterJar ? ['-Pcluster-jar'] : []),
  ];
  await promisify(execFile)('mvn', args, { maxBuffer: 16 * 1024 * 1024 });
}

/** Whether the jar is missing, or older than the pom or a file under `src/`. */
function jarIsStale(): boolean {
  if (!existsSync(FLINK_JAR)) return true;
  const built = statSync(FLINK_JAR).mtimeMs;
  const newer = (path: string): boolean =>
    statSync(path).isDirectory()
      ? readdirSync(path).some((name) => newer(join(path, name)))
      : statSync(path).mtimeMs > built;
  return newer(join(FLINK_MODULE, 'pom.xml')) || newer(join(FLINK_MODULE, 'src'));
}

/**
 * Starts the Kafka job (`java -jar pulse-flink.jar`, backend/flink/README.md) with a local
 * MiniCluster: what `npm run dev` runs with `PULSE_ENGINE=flink`, and what the tests run. Its
 * outputs reach the state store and the warehouse through the backend's loader
 * (flink-loader.ts). Checkpoints are kept under `dir`, so a restart resumes where it stopped.
 */
export function startFlinkJob(options: FlinkJobOptions): JavaProcess {
  const dir = resolve(options.dir);
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  const segmentsFile = join(dir, 'segments.json');
  writeFileSync(segmentsFile, JSON.stringify(options.segments));
  return startJava([`-Xmx${options.heap ?? '1g'}`, '-jar', FLINK_JAR], {
    KAFKA_BROKERS: options.brokers.join(','),
    PULSE_SEGMENTS_FILE: segmentsFile,
    PULSE_FLINK_CHECKPOINT_MS: String(options.checkpointMs ?? 500),
    PULSE_FLINK_PARALLELISM: String(options.parallelism ?? 1),
    PULSE_TICK_MS: String(options.tickMs ?? 1000),
    PULSE_FLINK_GROUP: options.group ?? 'pulse-flink',
    PULSE_FLINK_CHECKPOINT_DIR: pathToFileURL(join(dir, 'checkpoints')).href,
  });
}
