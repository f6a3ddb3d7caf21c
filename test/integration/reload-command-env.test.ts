/**
 * `opsbot reload` from an operator's shell: the bot's secrets live in its own environment
 * (systemd EnvironmentFile, compose env_file), not in the shell that runs `opsbot reload`. A
 * variable unset there is for the bot to resolve: the file is still sent, and the bot, which
 * validates it fully with its own environment, answers. Real problems of the file still stop it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, tmpDir, waitFor } from '../support/servers.js';
import { runCli, startBotProcess, type RunningBot } from '../support/process.js';

const config = (allow: string, extra = '') => `
bot: { consoleUser: "console:tester" }
alerting: { webhookToken: "\${OPS_HOOK_TOKEN}" }
rbac:
  roles: { viewer: { allow: [${allow}] } }
  subjects: { "console:tester": [viewer] }
${extra}`;

describe('opsbot reload from a shell without the bot\'s secrets', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let file: string;
  let bot: RunningBot;
  let shell: Record<string, string>;

  beforeAll(async () => {
    ({ dir, cleanup } = await tmpDir('opsbot-reload-env-'));
    file = path.join(dir, 'opsbot.yaml');
    await writeFile(file, config('whoami'));
    const port = await freePort();
    shell = { OPSBOT_DATA_DIR: path.join(dir, 'data'), OPSBOT_CONFIG: file };
    bot = startBotProcess(['start'], { ...shell, PORT: String(port), HOST: '127.0.0.1', OPS_HOOK_TOKEN: 'hook-secret-1234' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, { what: 'healthz', timeoutMs: 30_000 });
    await waitFor(async () => (await readdir(path.join(dir, 'data', 'run')).catch((): string[] => [])).some((f) => f.endsWith('.pid')), { what: 'pid file' });
  }, 40_000);
  afterAll(async () => {
    await bot?.stop('SIGKILL');
    await cleanup();
  });

  it('given a valid edit and a shell where OPS_HOOK_TOKEN is unset, when opsbot reload runs there, then the bot applies it and the command exits 0', async () => {
    await writeFile(file, config('whoami, alerts'));
    const r = await runCli(['reload', '--timeout', '20'], shell);
    expect(r.stderr).not.toMatch(/unset: OPS_HOOK_TOKEN/);
    expect(r.stdout).toMatch(/pid \d+: applied \(rbac\)/);
    expect(r.code).toBe(0);
  }, 40_000);

  it('given an edit with a real problem, when opsbot reload runs from that shell, then it exits 78 naming the problem and sends nothing', async () => {
    await writeFile(file, config('whoami', 'jobs:\n  tick: { cron: "not a cron", run: whoami }\n'));
    const r = await runCli(['reload', '--timeout', '20'], shell);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/jobs\.tick\.cron/);
    expect(r.stderr).not.toMatch(/unset: OPS_HOOK_TOKEN/);
  }, 40_000);
});
