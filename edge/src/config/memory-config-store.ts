import { EdgeError } from '../errors/edge-error';
import { parseKeyConfig, type KeyConfig, type KeyConfigStore } from './key-config';

/**
 * Key config held in memory, checked once when made: the Node edge's config from a file or env,
 * and the tests'. An invalid entry fails loudly here rather than at the first request.
 */
export function createMemoryConfigStore(entries: Record<string, unknown>): KeyConfigStore {
  const configs = new Map<string, KeyConfig>();
  for (const [key, value] of Object.entries(entries)) {
    const parsed = parseKeyConfig(value);
    if (!parsed.ok) throw new EdgeError('internal', `config of key ${key}: ${parsed.message}`);
    configs.set(key, parsed.config);
  }
  return { get: (key) => Promise.resolve(configs.get(key) ?? null) };
}
