import { readFile } from 'node:fs/promises';
import { EdgeError } from '../../errors/edge-error';
import { jsonLog, type EdgeLog } from '../../observe/edge-log';
import {
  isReservedEntry,
  parseKeyConfig,
  type KeyConfig,
  type KeyConfigStore,
} from '../../config/key-config';
import {
  MIGRATION_ENTRY,
  NO_MIGRATION,
  parseMigrationStage,
  type MigrationStage,
} from '../../config/migration';

/** Options of {@link createFileConfigStore}. */
export interface FileConfigStoreOptions {
  /** How long a read of the file is used before reading it again. @default 10_000 */
  ttlMs?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
  /** Where a broken file or entry is reported. @default `jsonLog()` */
  log?: EdgeLog;
}

/** Write key → its config, or why its entry is broken; `$migration` → the stage, or why not. */
type Entries = Map<string, KeyConfig | string> & { stage?: MigrationStage | string };

/**
 * Parses `{ "<write key>": KeyConfig, …, "$migration": MigrationStage }`; a broken entry keeps
 * its reason, not its key.
 */
export function parseKeyConfigFile(text: string): Entries {
  const json: unknown = JSON.parse(text);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error('key config must be a JSON object of write key → config');
  }
  const entries: Entries = new Map();
  for (const [key, value] of Object.entries(json)) {
    if (key === MIGRATION_ENTRY) {
      const parsed = parseMigrationStage(value);
      entries.stage = parsed.ok ? parsed.stage : parsed.message;
      continue;
    }
    if (isReservedEntry(key)) continue;
    const parsed = parseKeyConfig(value);
    entries.set(key, parsed.ok ? parsed.config : parsed.message);
  }
  return entries;
}

/**
 * The Node edge's key config from a JSON file `{ "<write key>": KeyConfig, … }`, read again
 * every `ttlMs`, so switching a customer's routing is an edit of the file, with no restart.
 * An unreadable file, or a key whose entry is broken, answers 503: the client keeps its events
 * until the operator fixes the file, rather than being told its key is wrong.
 */
export function createFileConfigStore(
  path: string,
  options: FileConfigStoreOptions = {},
): KeyConfigStore {
  const { ttlMs = 10_000, now = Date.now, log = jsonLog() } = options;
  let loaded: { at: number; entries: Promise<Entries> } | undefined;
  const load = () => {
    const entries = readFile(path, 'utf8').then(parseKeyConfigFile);
    loaded = { at: now(), entries };
    void entries.catch(() => {
      if (loaded?.entries === entries) loaded = undefined;
    });
    return entries;
  };
  const current = async (): Promise<Entries> => {
    try {
      return await (loaded && now() - loaded.at < ttlMs ? loaded.entries : load());
    } catch (error) {
      log.error({ path, err: error }, 'edge: key config unreadable');
      throw new EdgeError('unavailable', 'key configuration is unavailable; retry later', 30);
    }
  };
  return {
    async migration() {
      const { stage } = await current();
      if (typeof stage === 'string') {
        log.error({ path, reason: stage }, 'edge: the migration stage is invalid');
        throw new EdgeError('unavailable', 'migration stage is invalid; retry later', 30);
      }
      return stage ?? NO_MIGRATION;
    },
    async get(key) {
      const entries = await current();
      const entry = entries.get(key);
      if (typeof entry === 'string') {
        log.error({ path, reason: entry }, 'edge: entry of a key is invalid');
        throw new EdgeError('unavailable', 'configuration of this key is invalid; retry later', 30);
      }
      return entry ?? null;
    },
  };
}
