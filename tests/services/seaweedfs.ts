import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, waitUntil } from './free-port';

/**
 * A real S3-compatible object store for tests: SeaweedFS (`weed server -s3`) on free loopback
 * ports, with its data in a temporary directory removed on stop. The binary is built once per
 * machine by `tests/services/seaweedfs/build.sh` (CI does it; `PULSE_WEED_BIN` names another).
 */
export interface S3Server {
  /** `http://127.0.0.1:<port>`: a bucket is `${endpoint}/<bucket>`. */
  endpoint: string;
  /** The identity the tests sign with (admin: buckets are created on first write). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /**
   * Deletes an object behind Pulse's back (a test's lost file), through SeaweedFS's filer,
   * where bucket `b` is the directory `/buckets/b`.
   */
  deleteObject(bucket: string, key: string): Promise<void>;
  stop(): Promise<void>;
}

export const weedBinary = (): string =>
  process.env.PULSE_WEED_BIN ?? join(homedir(), '.cache', 'pulse-weed', 'weed');

/** Why SeaweedFS cannot run here, or undefined when it can. */
export function s3Unavailable(): string | undefined {
  return existsSync(weedBinary())
    ? undefined
    : `no ${weedBinary()} (build it: bash tests/services/seaweedfs/build.sh, about 12 min)`;
}

const credentials = { accessKeyId: 'pulse-test', secretAccessKey: 'pulse-test-secret' };

/**
 * Starts SeaweedFS and resolves once its S3 API answers. Its eight ports are free when
 * picked, but weed binds them one by one over seconds, and a port taken meanwhile (another
 * suite's server, an outgoing connection's source port) makes it exit: then it starts again
 * on new ports, at most three times.
 */
export async function startS3(): Promise<S3Server> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startS3Once();
    } catch (error) {
      if (attempt >= 3 || !String(error).includes('weed exited')) throw error;
    }
  }
}

async function startS3Once(): Promise<S3Server> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-s3-'));
  const config = join(dir, 's3.json');
  writeFileSync(
    config,
    JSON.stringify({
      identities: [
        {
          name: 'pulse',
          credentials: [
            { accessKey: credentials.accessKeyId, secretKey: credentials.secretAccessKey },
          ],
          actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'],
        },
      ],
    }),
  );
  const names = [
    'master.port',
    'master.port.grpc',
    'volume.port',
    'volume.port.grpc',
    'filer.port',
    'filer.port.grpc',
    's3.port',
    's3.port.grpc',
  ];
  const free = await freePorts(names.length);
  const ports: Record<string, number> = Object.fromEntries(
    names.map((name, i) => [name, free[i]!]),
  );
  const child: ChildProcess = spawn(
    weedBinary(),
    [
      'server',
      `-dir=${dir}`,
      '-ip=127.0.0.1',
      '-ip.bind=127.0.0.1',
      ...Object.entries(ports).map(([name, port]) => `-${name}=${port}`),
      '-s3',
      '-s3.port.iceberg=0',
      '-s3.port.lance=0',
      `-s3.config=${config}`,
      // Small volumes, enough of them: each bucket is a collection that grows volumes of its own.
      '-master.volumeSizeLimitMB=64',
      '-volume.max=64',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${ports['s3.port']}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode != null || child.signalCode != null) return done();
      child.once('exit', done);
      // Its data is thrown away: no graceful stop (which takes ~25 s to free the ports).
      child.kill('SIGKILL');
    });
  try {
    // Ready when the filer answers, the master can place a file on a volume (the volume server
    // joined: ~7 s) and the S3 gateway answers (403 to an unsigned listing).
    // weed exiting (a port taken) ends the wait at once instead of at its timeout.
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`weed exited (${code ?? signal})`))),
    );
    exited.catch(() => {});
    const ready = waitUntil(
      `SeaweedFS S3 on ${endpoint}`,
      async () => {
        const res = await fetch(`http://127.0.0.1:${ports['filer.port']}/`, {
          headers: { accept: 'application/json' },
        });
        if (!res.ok) return false;
        const assign = await fetch(`http://127.0.0.1:${ports['master.port']}/dir/assign`);
        const fid = ((await assign.json()) as { fid?: string }).fid;
        if (!fid) return false;
        return (await fetch(endpoint)).status > 0;
      },
      60_000,
    );
    ready.catch(() => {});
    await Promise.race([ready, exited]);
  } catch (error) {
    await stop();
    throw new Error(`${String(error)}\n${log}`);
  }
  const deleteObject = async (bucket: string, key: string) => {
    const res = await fetch(`http://127.0.0.1:${ports['filer.port']}/buckets/${bucket}/${key}`, {
      method: 'DELETE',
    });
    if (!res.ok) throw new Error(`deleting ${bucket}/${key}: the filer answered ${res.status}`);
  };
  return { endpoint, credentials, deleteObject, stop };
}
