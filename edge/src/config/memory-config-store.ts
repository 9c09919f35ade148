import { EdgeError } from '../errors/edge-error';
import { isReservedEntry, parseKeyConfig, type KeyConfig, type KeyConfigStore } from './key-config';
import {
  MIGRATION_ENTRY,
  NO_MIGRATION,
  parseMigrationStage,
  type MigrationStage,
} from './migration';

/**
 * Key config held in memory, checked once when made: the Node edge's config from a file or env,
 * and the tests'. An invalid entry fails loudly here rather than at the first request.
 */
export function createMemoryConfigStore(entries: Record<string, unknown>): KeyConfigStore {
  const configs = new Map<string, KeyConfig>();
  let stage: MigrationStage = NO_MIGRATION;
  for (const [key, value] of Object.entries(entries)) {
    if (key === MIGRATION_ENTRY) {
      const parsed = parseMigrationStage(value);
      if (!parsed.ok) throw new EdgeError('internal', `migration stage: ${parsed.message}`);
      stage = parsed.stage;
      continue;
    }
    if (isReservedEntry(key)) continue;
    const parsed = parseKeyConfig(value);
    if (!parsed.ok) throw new EdgeError('internal', `config of key ${key}: ${parsed.message}`);
    configs.set(key, parsed.config);
  }
  return {
    get: (key) => Promise.resolve(configs.get(key) ?? null),
    migration: () => Promise.resolve(stage),
  };
}
