import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startJava, type JavaProcess } from '../../backend/src/flink/flink-job';
import { FLINK_MODULE } from '../../backend/src/flink/flink-job';
import { freePorts, waitUntil } from './free-port';

/**
 * What a cluster's Flink provides (flink-dist's part of the job's runtime jars): everything in
 * target/lib but the job's own (the connector, kafka-clients, Jackson), which travel with the
 * job in target/pulse-flink-cluster.jar (`mvn package -Pcluster-jar`).
 */
const JOB_OWN = /^(flink-connector-(kafka|base)|kafka-clients|jackson-)/;
const LIB = `${FLINK_MODULE}target/lib/`;
const CLASS_PATH = readdirSync(LIB)
  .filter((jar) => jar.endsWith('.jar') && !JOB_OWN.test(jar))
  .map((jar) => LIB + jar)
  .join(':');
/** The job's cluster jar, and the Flink client to submit it with. */
export const CLUSTER_JAR_CLASS_PATH = `${FLINK_MODULE}target/pulse-flink-cluster.jar:${CLASS_PATH}`;

/** A Flink session cluster on this machine: a JobManager and TaskManagers, each its own JVM. */
export interface FlinkCluster {
  /** `host:port` of the JobManager's REST endpoint (PULSE_FLINK_CLUSTER). */
  rest: string;
  jobManager: JavaProcess;
  taskManagers: JavaProcess[];
  /** `GET /overview` of the REST API. */
  overview(): Promise<{ taskmanagers: number; 'slots-total': number; 'jobs-running': number }>;
  /** `GET /jobs/:id` (status, and per vertex its state). */
  job(id: string): Promise<{ state: string }>;
  /** The resource ids of the TaskManagers that run tasks of the job (`tm-<index>`). */
  taskManagersOf(id: string): Promise<string[]>;
  /** The failures the job restarted after (`GET /jobs/:id/exceptions`), oldest last. */
  failures(id: string): Promise<Array<{ exceptionName: string; taskManagerId?: string | null }>>;
  stop(): Promise<void>;
}

const startJvm = (mainClass: string, jvm: string[], args: string[]): JavaProcess =>
  startJava([...jvm, '-cp', CLASS_PATH, mainClass, ...args]);

/**
 * Starts a JobManager (`StandaloneSessionClusterEntrypoint`) and `taskManagers` TaskManagers
 * (`TaskManagerRunner`) from the job's Maven jars (`flink-dist` is not served here), with only
 * Flink's own classes on their class paths: a job brings the rest in its jar. The memory settings Flink's scripts would compute come from
 * its own `BashJavaUtils`. Heartbeats are short, so a killed TaskManager is noticed in seconds.
 */
export async function startFlinkCluster(options: {
  dir: string;
  taskManagers: number;
  slots: number;
}): Promise<FlinkCluster> {
  const conf = join(options.dir, 'conf');
  mkdirSync(conf, { recursive: true });
  const [rpcPort, restPort] = (await freePorts(2)) as [number, number];
  writeFileSync(
    join(conf, 'config.yaml'),
    [
      'jobmanager.rpc.address: 127.0.0.1',
      `jobmanager.rpc.port: ${rpcPort}`,
      'jobmanager.bind-host: 127.0.0.1',
      'jobmanager.memory.process.size: 768m',
      'rest.address: 127.0.0.1',
      'rest.bind-address: 127.0.0.1',
      `rest.port: ${restPort}`,
      'taskmanager.bind-host: 127.0.0.1',
      'taskmanager.host: 127.0.0.1',
      `taskmanager.numberOfTaskSlots: ${options.slots}`,
      'taskmanager.memory.process.size: 1024m',
      // The heap state backend keeps state on the task heap: little managed memory.
      'taskmanager.memory.managed.fraction: 0.05',
      // A job's slots spread over the TaskManagers, so losing one hits the job.
      'taskmanager.load-balance.mode: SLOTS',
      'heartbeat.interval: 1000',
      'heartbeat.timeout: 6000',
      'restart-strategy.type: fixed-delay',
      'restart-strategy.fixed-delay.attempts: 20',
      'restart-strategy.fixed-delay.delay: 1 s',
      '',
    ].join('\n'),
  );
  const confArgs = ['--configDir', conf];
  const jobManager = startJvm(
    'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint',
    ['-Xmx512m'],
    confArgs,
  );
  const rest = `127.0.0.1:${restPort}`;
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`http://${rest}${path}`);
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const overview = () => get<Awaited<ReturnType<FlinkCluster['overview']>>>('/overview');
  const taskManagers: JavaProcess[] = [];
  try {
    await waitUntil(
      () => `the JobManager's REST endpoint (log:\n${jobManager.log().slice(-2000)})`,
      async () => (await overview(), true),
      60_000,
    );
    // What Flink's taskmanager.sh passes: JVM memory flags, then the resolved memory options.
    const { stdout } = await promisify(execFile)(
      'java',
      [
        '-cp',
        CLASS_PATH,
        'org.apache.flink.runtime.util.bash.BashJavaUtils',
        'GET_TM_RESOURCE_PARAMS',
        ...confArgs,
      ],
      { maxBuffer: 4 * 1024 * 1024 },
    );
    const results = stdout
      .split('\n')
      .filter((line) => line.startsWith('BASH_JAVA_UTILS_EXEC_RESULT:'))
      .map((line) => line.slice('BASH_JAVA_UTILS_EXEC_RESULT:'.length).trim().split(/\s+/));
    const [jvm, dynamic] = results;
    if (!jvm || !dynamic) throw new Error(`BashJavaUtils gave no resource parameters:\n${stdout}`);
    for (let i = 0; i < options.taskManagers; i++) {
      taskManagers.push(
        startJvm('org.apache.flink.runtime.taskexecutor.TaskManagerRunner', jvm, [
          ...confArgs,
          ...dynamic,
          // Named, so the REST API's answers say which process runs what.
          '-D',
          `taskmanager.resource-id=tm-${i}`,
        ]),
      );
    }
    await waitUntil(
      () =>
        `${options.taskManagers} TaskManagers registered (last log:\n${taskManagers.at(-1)?.log().slice(-2000)})`,
      async () => (await overview()).taskmanagers === options.taskManagers,
      90_000,
    );
  } catch (error) {
    await Promise.all([...taskManagers, jobManager].map((p) => p.stop()));
    throw error;
  }
  return {
    rest,
    jobManager,
    taskManagers,
    overview,
    job: (id) => get(`/jobs/${id}`),
    async taskManagersOf(id) {
      const job = await get<{ vertices: Array<{ id: string }> }>(`/jobs/${id}`);
      const ids = new Set<string>();
      for (const vertex of job.vertices) {
        const hosts = await get<{ taskmanagers: Array<{ 'taskmanager-id': string }> }>(
          `/jobs/${id}/vertices/${vertex.id}/taskmanagers`,
        );
        for (const host of hosts.taskmanagers) ids.add(host['taskmanager-id']);
      }
      return [...ids].sort();
    },
    async failures(id) {
      const answer = await get<{
        exceptionHistory: {
          entries: Array<{ exceptionName: string; taskManagerId?: string | null }>;
        };
      }>(`/jobs/${id}/exceptions`);
      return answer.exceptionHistory.entries;
    },
    async stop() {
      await Promise.all(taskManagers.map((p) => p.stop()));
      await jobManager.stop();
    },
  };
}
