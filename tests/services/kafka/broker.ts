import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TopicSettings } from '../../../backend/src/kafka/topics';
import { Kafka, logLevel } from 'kafkajs';
import { freePorts, waitUntil } from '../free-port';

const run = promisify(execFile);
const pom = fileURLToPath(new URL('./pom.xml', import.meta.url));
const cacheDir = fileURLToPath(new URL('../../../.cache/', import.meta.url));

/** A real single-node Apache Kafka broker (KRaft) on loopback, owned by a test suite. */
export interface KafkaBroker {
  /** `127.0.0.1:PORT`, for kafkajs `brokers`. */
  brokers: string;
  /** Stops the broker gracefully (SIGTERM) and deletes its data. */
  stop(): Promise<void>;
  /** Kills the broker process at once (SIGKILL), keeping its data for `restart`. */
  kill9(): Promise<void>;
  /** Starts the broker again on the same port and data. */
  restart(): Promise<void>;
}

/**
 * The classpath of the broker and Kafka's tools (ProducerPerformance) from Maven (jars in
 * ~/.m2), cached per pom content.
 */
export async function kafkaClasspath(): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(pom)).digest('hex').slice(0, 16);
  const file = join(cacheDir, `kafka-classpath-${hash}.txt`);
  if (existsSync(file)) {
    const cp = readFileSync(file, 'utf8').trim();
    if (cp.split(':').every((jar) => existsSync(jar))) return cp;
  }
  mkdirSync(cacheDir, { recursive: true });
  await run(
    'mvn',
    ['-q', '-B', '-f', pom, 'dependency:build-classpath', `-Dmdep.outputFile=${file}`],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return readFileSync(file, 'utf8').trim();
}

/** Whether java and mvn are on PATH. */
export async function kafkaToolsAvailable(): Promise<string | undefined> {
  for (const tool of ['java', 'mvn']) {
    try {
      await run(tool, ['-version']);
    } catch {
      return `${tool} not found on PATH`;
    }
  }
  return undefined;
}

/**
 * Starts a broker on free loopback ports: formats a KRaft log dir and spawns `kafka.Kafka`.
 * Resolves once the broker answers metadata requests.
 */
export async function startKafka(): Promise<KafkaBroker> {
  const cp = await kafkaClasspath();
  const dir = await mkdtemp(join(tmpdir(), 'pulse-kafka-'));
  const [port, controllerPort] = (await freePorts(2)) as [number, number];
  const props = join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'auto.create.topics.enable=false',
      'group.initial.rebalance.delay.ms=0',
      'log.flush.interval.messages=1',
    ].join('\n'),
  );
  const clusterId = randomBytes(16).toString('base64url');
  const jvm = ['-Xms128m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', cp];
  await run(
    'java',
    [
      ...jvm,
      'kafka.tools.StorageTool',
      'format',
      `--cluster-id=${clusterId}`,
      '-c',
      props,
      '--standalone',
    ],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );

  const brokers = `127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = '';
  const spawnBroker = async () => {
    output = '';
    child = spawn('java', [...jvm, 'kafka.Kafka', props], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
    const admin = new Kafka({
      clientId: 'pulse-test-probe',
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
    try {
      await waitUntil(
        `Kafka on ${brokers}`,
        async () => {
          if (child?.exitCode != null)
            throw new Error(`Kafka exited with ${child.exitCode}:\n${output}`);
          await admin.connect();
          await admin.describeCluster();
          return true;
        },
        120_000,
      );
    } finally {
      await admin.disconnect().catch(() => {});
    }
  };
  const exited = () =>
    new Promise<void>((resolve) =>
      !child || child.exitCode != null ? resolve() : child.once('exit', () => resolve()),
    );

  await spawnBroker();
  return {
    brokers,
    async stop() {
      child?.kill('SIGTERM');
      await Promise.race([exited(), new Promise((r) => setTimeout(r, 15_000))]);
      child?.kill('SIGKILL');
      await exited();
      await rm(dir, { recursive: true, force: true });
    },
    async kill9() {
      child?.kill('SIGKILL');
      await exited();
    },
    async restart() {
      await spawnBroker();
    },
  };
}

/**
 * Topics of one partition on the test broker: a stream's order is the topic's order, and so is
 * the order of what a job makes of it (the Flink tests compare outputs record by record).
 */
export const ONE_PARTITION_TOPICS: TopicSettings = {
  partitions: 1,
  replicationFactor: 1,
  minInsyncReplicas: 1,
  retentionMs: 3600_000,
};
