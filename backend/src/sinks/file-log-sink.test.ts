import { mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileLogSink } from './file-log-sink';
import { sinkBatch } from '../../test/kafka-fixtures';

describe('file log sink (the embedded default without Kafka)', () => {
  const dirs: string[] = [];
  const path = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pulse-log-'));
    dirs.push(dir);
    return join(dir, 'nested', 'events.ndjson');
  };
  afterEach(async () =>
    Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true }))),
  );

  it('keeps every acknowledged batch across a reopen, in order', async () => {
    const file = await path();
    const first = createFileLogSink(file);
    const batches = [sinkBatch('c', 2), sinkBatch('c', 3)];
    await Promise.all(batches.map((b) => first.write(b)));
    await first.close();
    const reopened = createFileLogSink(file);
    expect(await reopened.read()).toEqual(batches);
    await reopened.write(sinkBatch('c', 1));
    expect(await reopened.read()).toHaveLength(3);
    await reopened.close();
  });

  it('ignores a torn last line left by a crash mid-append', async () => {
    const file = await path();
    const sink = createFileLogSink(file);
    const batch = sinkBatch('c', 1);
    await sink.write(batch);
    await sink.close();
    await appendFile(file, '{"customer_id":"c","ev');
    expect(await createFileLogSink(file).read()).toEqual([batch]);
  });

  it('rejects the write (so the edge answers 503) when the file cannot be written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pulse-log-'));
    dirs.push(dir);
    await writeFile(join(dir, 'blocker'), 'a file where a folder should be');
    const sink = createFileLogSink(join(dir, 'blocker', 'events.ndjson'));
    await expect(sink.write(sinkBatch('c', 1))).rejects.toMatchObject({ code: 'unavailable' });
  });
});
