import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** backend/flink: the Flink job's Maven module. */
export const FLINK_DIR = fileURLToPath(new URL('../../backend/flink/', import.meta.url));
const JAR = `${FLINK_DIR}target/pulse-flink.jar`;

/**
 * Builds the Flink job (`target/pulse-flink.jar`, its runtime jars in `target/lib`) offline:
 * `.ci/run` resolves the dependencies beforehand, as it does for the Kafka broker.
 */
export async function buildFlinkJob(): Promise<void> {
  await run('mvn', ['-q', '-B', '-o', '-f', `${FLINK_DIR}pom.xml`, 'package', '-DskipTests'], {
    maxBuffer: 16 * 1024 * 1024,
  });
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
  options: { timeoutMs: number; env?: Record<string, string> },
): Promise<JavaRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', ['-Xmx1g', '-cp', JAR, mainClass, ...args], {
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
