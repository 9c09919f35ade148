import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { missingService } from '../services/free-port';
import { runFlinkMain } from '../services/flink-job';
import { kafkaToolsAvailable } from '../services/kafka/broker';
import { buildFlinkJar } from '../../backend/src/flink/flink-job';

const why = await kafkaToolsAvailable();
const skip = why ? missingService('Java and Maven (the Flink job)', why) === 'skip' : false;

const CHECK = fileURLToPath(new URL('./IsoTimeCheck.java', import.meta.url));

/**
 * The job reads every event's times with a field-by-field reader for the form the TypeScript
 * side writes (`toISOString()`), and a reader of every form the contract accepts for anything
 * else. The fast reader must read exactly what the general one reads, and both exactly what the
 * contract accepts (zod's `z.iso.datetime({ offset: true })`), as `Date.parse` reads it.
 */
describe.skipIf(skip)('the Flink job reads event times', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-flink-iso-'));
  beforeAll(() => buildFlinkJar({ offline: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const read = async (texts: string[]) => {
    const file = join(dir, `times-${texts.length}.txt`);
    writeFileSync(file, texts.join('\n') + '\n');
    const { stdout } = await runFlinkMain(CHECK, [file], { timeoutMs: 60_000 });
    return stdout
      .trimEnd()
      .split('\n')
      .map((line) => {
        const [fast, general, formatted] = line.split('\t');
        const time = (v?: string) => (v === 'null' || v === undefined ? null : Number(v));
        return { fast: time(fast), general: time(general), formatted };
      });
  };

  it('reads and writes toISOString() times as JavaScript does, over the years the contract allows', async () => {
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const from = Date.UTC(1970, 0, 1);
    const to = Date.UTC(2100, 11, 31, 23, 59, 59, 999);
    const times = [from, to, Date.UTC(2000, 1, 29, 12), Date.UTC(2024, 11, 31, 23, 59, 59, 999)];
    for (let i = 0; i < 2000; i++) times.push(Math.floor(from + next() * (to - from)));
    const texts = times.map((ms) => new Date(ms).toISOString());
    expect(await read(texts)).toEqual(
      times.map((ms, i) => ({ fast: ms, general: ms, formatted: texts[i] })),
    );
  });

  it('refuses what the contract refuses, and reads the other forms it accepts as Date.parse does', async () => {
    const texts = [
      '2025-02-29T10:00:00.000Z', // not a leap year
      '2024-02-30T10:00:00.000Z',
      '2025-13-01T10:00:00.000Z',
      '2025-00-10T10:00:00.000Z',
      '2025-01-00T10:00:00.000Z',
      '2025-01-21T24:00:00.000Z',
      '2025-01-21T23:60:00.000Z',
      '2025-01-21T23:59:60.000Z', // a leap second
      '2025-01-21T10:30:00.00aZ',
      '2025-01-21 10:30:00.000Z',
      '+2025-01-21T10:30:00.000Z',
      '２０２５-01-21T10:30:00.000Z', // digits of another script
      '2025-01-21T10:30:00.000z',
      '2025-01-21T10:30:00Z',
      '2025-01-21T10:30:00.123456Z',
      '2025-01-21T11:30:00.000+01:00',
      '2025-01-21T10:30:00.000',
      '',
    ];
    const read_ = await read(texts);
    expect(read_).toHaveLength(texts.length);
    const contract = z.iso.datetime({ offset: true });
    for (const [i, { fast, general }] of read_.entries()) {
      const text = texts[i]!;
      const expected = contract.safeParse(text).success ? Date.parse(text) : null;
      expect({ text, fast, general }).toEqual({ text, fast: expected, general: expected });
    }
    // The contract accepts the other forms with a zone, so they were really read.
    expect(read_.slice(-6, -2).map(({ fast }) => fast)).toEqual([
      null, // a lower-case z
      Date.UTC(2025, 0, 21, 10, 30),
      Date.UTC(2025, 0, 21, 10, 30, 0, 123),
      Date.UTC(2025, 0, 21, 10, 30),
    ]);
    const accepted = texts.slice(0, 13).filter((_, i) => read_[i]!.fast !== null);
    expect(accepted).toEqual([]);
  });
});
