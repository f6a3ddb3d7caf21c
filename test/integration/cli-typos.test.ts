/** Typos as a newcomer makes them, through the real CLI on the default config. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { tmpDir } from '../support/servers.js';
import { bareEnv, runCliBare } from '../support/process.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => { ({ dir, cleanup } = await tmpDir()); });
afterAll(async () => { await cleanup(); });
const run = (...args: string[]) => runCliBare(args, bareEnv({ OPSBOT_DATA_DIR: path.join(dir, 'data') }));

describe('typos', () => {
  it('given `backup lst app`, then it suggests `backup list` and exits 2', async () => {
    const r = await run('exec', 'backup lst app');
    expect(r.stdout).toContain('Unknown subcommand `backup lst`');
    expect(r.stdout).toContain('Did you mean `backup list`?');
    expect(r.code).toBe(2);
  }, 30_000);

  it('given a word for a number (`logs web --lines abc`, `audit --limit x`), then it says which argument and what it got', async () => {
    const logs = await run('exec', 'logs web --lines abc');
    expect(logs.stdout).toContain("--lines: expected a number, got 'abc'");
    expect(logs.stdout).not.toContain('NaN');
    expect(logs.code).toBe(2);
    const audit = await run('exec', 'audit --limit=x');
    expect(audit.stdout).toContain("--limit: expected a number, got 'x'");
  }, 30_000);

  it('given `opsbot exec --help`, then it prints exec\'s help and exits 0', async () => {
    const r = await run('exec', '--help');
    expect(r.stdout).toMatch(/^Usage: opsbot exec \[options\] <command\.\.\.>/);
    expect(r.stdout).toContain('opsbot exec "health all"');
    expect(r.code).toBe(0);
  }, 30_000);

  it('given an unknown CLI word, then it says so, suggests, and prints the CLI help (exit 2)', async () => {
    const r = await run('nosuch');
    expect(r.stderr).toContain("opsbot: unknown command 'nosuch'.");
    expect(r.stderr).toContain('Usage: opsbot [options] [command]');
    expect(r.stderr).not.toContain('too many arguments');
    expect(r.code).toBe(2);
    const near = await run('valdate-config');
    expect(near.stderr).toContain("Did you mean 'opsbot validate-config'?");
    const bot = await run('health', 'all');
    expect(bot.stderr).toContain('A bot command runs with: opsbot exec "health …"');
  }, 30_000);
});
