/**
 * `OPSBOT_CONFIG=config/examples/<name>.yaml npx opsbot validate-config`, as a user types it on a
 * fresh shell: no variable of the example set, every example valid, its variables listed.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { bareEnv, runCliBare } from '../support/process.js';

const examples = readdirSync('config/examples').filter((f) => f.endsWith('.yaml'));

describe('validate-config on the shipped examples, with no environment', () => {
  it('there are five examples, one per reference system', () => {
    expect(examples.sort()).toEqual(['ferritedb.yaml', 'linguamate.yaml', 'nordlayer.yaml', 'pixelforge.yaml', 'stormforge.yaml']);
  });

  it.each(examples)('given OPSBOT_CONFIG=config/examples/%s and nothing else, then it is valid and exits 0', async (file) => {
    const r = await runCliBare(['validate-config'], bareEnv({ OPSBOT_CONFIG: `config/examples/${file}` }));
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^config/examples/${file.replace('.', '\\.')}: valid — `));
    expect(r.code).toBe(0);
  }, 60_000);

  it('given nordlayer with one of its variables set, then the listing says which came from the environment', async () => {
    const r = await runCliBare(['validate-config', 'config/examples/nordlayer.yaml'], bareEnv({ NORDLAYER_REDIS_URL: 'redis://cache.internal:6379' }));
    expect(r.stdout).toContain('environment: NORDLAYER_DATABASE_URL (unset, default used), NORDLAYER_REDIS_URL (set)');
    expect(r.stdout).not.toContain('cache.internal');
    expect(r.code).toBe(0);
  }, 60_000);
});
