import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Sink, SinkBatch } from '@pulse/contract';
import { SinkUnavailableError } from './sink-error';

export interface FileLogSink extends Sink {
  /** Every batch written so far, in order (also those of earlier runs). */
  read(): Promise<SinkBatch[]>;
  close(): Promise<void>;
}

/**
 * The embedded default's durable log: appends each batch as one NDJSON line and fsyncs before
 * `write` resolves, so nothing is acknowledged before it is on disk. Stands in for Kafka when
 * no KAFKA_BROKERS is set.
 */
export function createFileLogSink(path: string): FileLogSink {
  let handle: Promise<FileHandle> | undefined;
  let tail: Promise<void> = Promise.resolve();
  const file = () =>
    (handle ??= mkdir(dirname(path), { recursive: true }).then(() => open(path, 'a')));

  return {
    write(batch) {
      const line = `${JSON.stringify(batch)}\n`;
      // Serialised, so lines never interleave and each write's fsync covers its own line.
      const done = tail.then(async () => {
        try {
          const fh = await file();
          await fh.appendFile(line);
          await fh.datasync();
        } catch (error) {
          throw new SinkUnavailableError(
            `could not append to ${path}: ${(error as Error).message}`,
            { cause: error },
          );
        }
      });
      tail = done.catch(() => {});
      return done;
    },
    async read() {
      const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) =>
        e.code === 'ENOENT' ? '' : Promise.reject(e),
      );
      // A torn last line (crash mid-append, never acknowledged) is ignored.
      return text
        .split('\n')
        .filter(Boolean)
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as SinkBatch];
          } catch {
            return [];
          }
        });
    },
    async close() {
      await tail;
      await (await handle)?.close();
      handle = undefined;
    },
  };
}
