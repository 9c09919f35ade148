import { describe, expect, it } from 'vitest';
import { kafkaBrokers } from './brokers';

describe('kafkaBrokers', () => {
  it('keeps plaintext addresses as they are', () => {
    expect(kafkaBrokers(['127.0.0.1:9092', 'b:9092'])).toEqual({
      brokers: ['127.0.0.1:9092', 'b:9092'],
      ssl: false,
    });
  });
  it('turns ssl:// addresses into TLS connections to host:port', () => {
    expect(kafkaBrokers(['ssl://b-1.msk.example:9094', 'ssl://b-2.msk.example:9094'])).toEqual({
      brokers: ['b-1.msk.example:9094', 'b-2.msk.example:9094'],
      ssl: true,
    });
  });
  it('refuses a list that mixes both, rather than guessing', () => {
    expect(() => kafkaBrokers(['ssl://b-1:9094', 'b-2:9092'])).toThrow(/mixes/);
  });
});
