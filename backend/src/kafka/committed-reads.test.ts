import { describe, expect, it } from 'vitest';
import { markAbortedRecords, type FetchedRecord } from './committed-reads';

const CONTROL = { abort: Buffer.from([0, 0, 0, 0]), commit: Buffer.from([0, 0, 0, 1]) };
const data = (offset: number, producer: number, inTransaction = true): FetchedRecord => ({
  offset: String(offset),
  key: Buffer.from(`k${offset}`),
  isControlRecord: false,
  batchContext: { producerId: String(producer), inTransaction },
});
const marker = (offset: number, producer: number, kind: 'abort' | 'commit'): FetchedRecord => ({
  offset: String(offset),
  key: CONTROL[kind],
  isControlRecord: true,
  batchContext: { producerId: String(producer), inTransaction: true },
});
const delivered = (records: FetchedRecord[]) =>
  records.filter((r) => !r.isControlRecord).map((r) => Number(r.offset));

describe('markAbortedRecords', () => {
  it('drops every aborted transaction begun before the fetch and keeps a later commit of the same producer', () => {
    // Producers 1, 2 and 3 each began a transaction (offsets 0, 1, 2) that was aborted; the
    // fetch starts at 3. kafkajs' own filter returned [3] here: the aborted record, not the
    // committed one.
    const records = [
      data(3, 3),
      marker(4, 3, 'abort'),
      data(5, 3),
      marker(6, 3, 'commit'),
      marker(7, 1, 'abort'),
      marker(8, 2, 'abort'),
      data(9, 4, false),
    ];
    const aborted = [
      { producerId: '1', firstOffset: '0' },
      { producerId: '2', firstOffset: '1' },
      { producerId: '3', firstOffset: '2' },
    ];
    const marked = markAbortedRecords(records, aborted);
    expect(delivered(marked)).toEqual([5, 9]);
    // Nothing is removed: kafkajs still moves its fetch offset past the aborted records.
    expect(marked.map((r) => r.offset)).toEqual(records.map((r) => r.offset));
  });

  it('keeps non-transactional records and other producers inside an aborted transaction', () => {
    const records = [
      data(10, 1),
      data(11, 2),
      data(12, 9, false),
      marker(13, 1, 'abort'),
      data(14, 1),
    ];
    const marked = markAbortedRecords(records, [{ producerId: '1', firstOffset: '10' }]);
    expect(delivered(marked)).toEqual([11, 12, 14]);
  });

  it('reads aborted transactions in offset order whatever order the broker lists them in', () => {
    const records = [
      data(5, 1),
      data(6, 2),
      marker(7, 2, 'abort'),
      marker(8, 1, 'abort'),
      data(9, 2),
    ];
    const aborted = [
      { producerId: '2', firstOffset: '6' },
      { producerId: '1', firstOffset: '5' },
    ];
    expect(delivered(markAbortedRecords(records, aborted))).toEqual([9]);
  });

  it('returns the records as they are when nothing was aborted', () => {
    const records = [data(1, 1), marker(2, 1, 'commit')];
    expect(markAbortedRecords(records, [])).toBe(records);
  });
});
