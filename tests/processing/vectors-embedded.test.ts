import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startBackend, type Backend } from '../../backend/src/start-backend';
import { loadVectors } from '../vectors/load';
import { checkVector, scopeVector, type VectorHarness } from './check-vector';

/** The embedded default (LMDB state store, chdb warehouse, no Kafka) against every vector. */
describe('processing vectors, embedded mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-vectors-embedded-'));
  let backend: Backend;
  let harness: VectorHarness;

  beforeAll(async () => {
    // No wall-clock ticks (the vectors bring their own) and no TTL (their times are old).
    backend = await startBackend({
      dataDir: dir,
      port: 0,
      ingestSecret: 'vectors',
      roles: { ingest: false },
      tickMs: 0,
      ttl: false,
    });
    harness = {
      store: backend.store,
      warehouse: backend.warehouse,
      feed: async (item) => (await backend.processor.run([item])).changes,
    };
  });
  afterAll(async () => {
    await backend?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [index, vector] of loadVectors().entries()) {
    it(`${vector.name}: ${vector.description}`, async () => {
      await checkVector(harness, scopeVector(vector, `emb${index}`));
    });
  }
});
