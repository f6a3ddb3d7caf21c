/**
 * The configuration reference of the README ("## Configuration", the block that starts with
 * `bot:`) is a whole config file: copied into a file, with the variables it references set, it
 * must pass `opsbot validate-config` — the README may not show a key or a value the schema refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tmpDir } from '../support/servers.js';
import { bareEnv, runCliBare } from '../support/process.js';

let dir: string;
let cleanup: () => Promise<void>;
let reference: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tmpDir());
  const readme = await readFile('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('\n## Configuration'));
  reference = /```yaml\n(bot:\n[\s\S]*?)```/.exec(section)?.[1] ?? '';
});
afterAll(async () => { await cleanup(); });

describe("the README's configuration reference", () => {
  it('given the block as a file and its variables set, when validate-config runs, then it is valid', async () => {
    expect(reference).toMatch(/^bot:\n/);
    const vars = [...reference.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] as string);
    expect(vars).toContain('API_TOKEN');
    const file = path.join(dir, 'reference.yaml');
    await writeFile(file, reference);
    const r = await runCliBare(['validate-config', file], bareEnv(Object.fromEntries(vars.map((v) => [v, 'value-from-env']))));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid — 1 target\(s\) \(web\)/);
  }, 60_000);

  it('given the same header with the token written out, when validate-config runs, then it is refused with exit 78', async () => {
    const file = path.join(dir, 'literal.yaml');
    await writeFile(file, reference.replace('Bearer ${API_TOKEN}', 'Bearer abc123literal'));
    const r = await runCliBare(['validate-config', file], bareEnv());
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('targets.web.health[0].http.headers.Authorization: secrets must come from the environment');
  }, 60_000);
});
