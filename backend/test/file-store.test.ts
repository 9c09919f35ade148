import { describe, expect, it } from 'vitest';
import { fileStore, relativeOf, storeLocation, storeTable } from '../src/warehouse/file-store';

// The file store's SQL is exercised against a directory and a real bucket in
// warehouse-archive*.test.ts; these pin its parsing and quoting.
describe('a file store', () => {
  it('is an absolute directory or an http(s) bucket URL, nothing else', () => {
    expect(fileStore('/data/archive/')).toEqual({ kind: 'dir', dir: '/data/archive' });
    expect(fileStore('https://s3.eu-west-1.amazonaws.com/acme/pulse/')).toEqual({
      kind: 's3',
      url: 'https://s3.eu-west-1.amazonaws.com/acme/pulse',
      credentials: undefined,
    });
    expect(() => fileStore('archive')).toThrow(/absolute directory or an http/);
    expect(() => fileStore('s3://acme/pulse')).toThrow(/absolute directory or an http/);
    // Credentials go apart, never in a URL that logs and answers would show.
    expect(() => fileStore('http://key:secret@127.0.0.1:9000/acme')).toThrow(/credentials apart/);
    expect(() => fileStore('http://127.0.0.1:9000/')).toThrow(/host\/bucket/);
  });

  it('signs with its credentials, or sends unsigned requests without, and shows neither', () => {
    const signed = fileStore('http://127.0.0.1:9000/acme', {
      accessKeyId: 'AK',
      secretAccessKey: "se'cret",
    });
    expect(storeTable(signed, 'a/*.parquet', 'Parquet')).toBe(
      "s3('http://127.0.0.1:9000/acme/a/*.parquet', 'AK', 'se\\'cret', 'Parquet')",
    );
    expect(storeTable(fileStore('http://127.0.0.1:9000/acme'), 'x.ndjson', 'JSONEachRow')).toBe(
      "s3('http://127.0.0.1:9000/acme/x.ndjson', NOSIGN, 'JSONEachRow')",
    );
    expect(storeTable(fileStore('/d'), 'x.parquet', 'Parquet', 'a String')).toBe(
      "file('/d/x.parquet', 'Parquet', 'a String')",
    );
    expect(storeLocation(signed)).toBe('http://127.0.0.1:9000/acme');
  });

  it('finds a file relative to the store from the path ClickHouse reports', () => {
    expect(relativeOf('acme/pulse/customer_id=c/dt=2026-01-01/events.parquet', 'customer_id')).toBe(
      'customer_id=c/dt=2026-01-01/events.parquet',
    );
    expect(() => relativeOf('/elsewhere/x.parquet', 'customer_id')).toThrow(/not a file/);
  });
});
