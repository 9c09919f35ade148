import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BACKEND_ENV, ConfigError, envTable, NODE_EDGE_ENV, readEnv } from '../src/config/env';

describe('configuration from the environment', () => {
  it('reads defaults and typed values; an empty variable counts as unset', () => {
    const env = readEnv(BACKEND_ENV, {
      INGEST_SECRET: 's',
      PULSE_TICK_MS: '250',
      KAFKA_BROKERS: 'a:9092, b:9092',
      PULSE_API_KEYS: '{"sk_a":"cust_a"}',
      REDIS_URL: '',
    });
    expect(env).toMatchObject({
      PORT: 8788,
      PULSE_DATA_DIR: '.pulse',
      PULSE_ROLES: ['ingest', 'processor'],
      PULSE_TICK_MS: 250,
      KAFKA_BROKERS: ['a:9092', 'b:9092'],
      PULSE_API_KEYS: { sk_a: 'cust_a' },
    });
    expect(env.REDIS_URL).toBeUndefined();
    expect(env.PULSE_OPS_PORT).toBeUndefined();
  });

  it('refuses to start on bad values and names every one of them', () => {
    let error: unknown;
    try {
      readEnv(BACKEND_ENV, {
        PORT: '80000',
        PULSE_TICK_MS: 'soon',
        PULSE_ROLES: 'ingest,cook',
        PULSE_API_KEYS: '{nope',
        CLICKHOUSE_URL: 'not a url',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of [
      'INGEST_SECRET',
      'PORT',
      'PULSE_TICK_MS',
      'PULSE_ROLES',
      'PULSE_API_KEYS',
      'CLICKHOUSE_URL',
    ]) {
      expect(message).toMatch(new RegExp(`^  ${name}: `, 'm'));
    }
    expect(message).toContain('INGEST_SECRET: ');
    expect(message).toContain('(not set)');
    expect(message).toContain('(got "soon")');
  });

  it('stops the backend process with exit code 2 and the reason, before it serves anything', () => {
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, INGEST_SECRET: 'x', PULSE_TICK_MS: 'soon', PORT: '0' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PULSE_TICK_MS');
    expect(result.stdout).not.toContain('"ready"');
  });

  it('stops the backend the same way on an export destinations file that does not parse', () => {
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'pulse-destinations-'));
    const file = join(dir, 'd.json');
    writeFileSync(file, JSON.stringify({ cust_a: { dir: 'relative/exports' } }));
    const result = spawnSync(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, INGEST_SECRET: 'x', PORT: '0', PULSE_EXPORT_DESTINATIONS: file },
      encoding: 'utf8',
      timeout: 60_000,
    });
    rmSync(dir, { recursive: true, force: true });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PULSE_EXPORT_DESTINATIONS');
    expect(result.stderr).toContain('cust_a.dir: an absolute directory');
    expect(result.stdout).not.toContain('"ready"');
  });

  it('is documented, variable by variable, in docs/configuration.md', () => {
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(doc).toContain(envTable(BACKEND_ENV));
    expect(doc).toContain(envTable(NODE_EDGE_ENV));
  });
});
