import { EdgeError } from '../../errors/edge-error';
import { jsonLog, type EdgeLog } from '../../observe/edge-log';
import { isReservedEntry, parseKeyConfig, type KeyConfigStore } from '../../config/key-config';
import { MIGRATION_ENTRY, NO_MIGRATION, parseMigrationStage } from '../../config/migration';

/**
 * Key config in Workers KV: one entry per write key, its value the JSON KeyConfig. KV being
 * unreachable, or an entry an operator broke, answers 503 (the client keeps its events) rather
 * than 401 (which would make the SDK stop sending).
 */
export function createKvConfigStore(kv: KVNamespace, log: EdgeLog = jsonLog()): KeyConfigStore {
  return {
    async migration() {
      let value: unknown;
      try {
        value = await kv.get(MIGRATION_ENTRY, 'json');
      } catch (error) {
        log.error({ err: error }, 'edge: KV read of the migration stage failed');
        throw new EdgeError('unavailable', 'key configuration is unavailable; retry later', 5);
      }
      if (value === null) return NO_MIGRATION;
      const parsed = parseMigrationStage(value);
      if (!parsed.ok) {
        log.error({ reason: parsed.message }, 'edge: KV migration stage is invalid');
        throw new EdgeError('unavailable', 'migration stage is invalid; retry later', 30);
      }
      return parsed.stage;
    },
    async get(key) {
      // KV refuses these two names outright; no write key can be one of them. Entries that
      // start with `$` are the deployment's (the migration stage), never a write key's.
      if (key === '.' || key === '..' || isReservedEntry(key)) return null;
      let value: unknown;
      try {
        value = await kv.get(key, 'json');
      } catch (error) {
        log.error({ err: error }, 'edge: KV read of a key config failed');
        throw new EdgeError('unavailable', 'key configuration is unavailable; retry later', 5);
      }
      if (value === null) return null;
      const parsed = parseKeyConfig(value);
      if (!parsed.ok) {
        log.error({ reason: parsed.message }, 'edge: KV key config is invalid');
        throw new EdgeError('unavailable', 'configuration of this key is invalid; retry later', 30);
      }
      return parsed.config;
    },
  };
}
