/**
 * `bot.name` (README "Configuration", the shipped configs set it): the console on a terminal
 * shows it as its prompt and in its banner, so two bots (staging, production) are told apart.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeWithServers, freePort, tmpDir, waitFor } from '../support/servers.js';

const ansi = /\x1b\[[0-9;?]*[A-Za-z]/g; // eslint-disable-line no-control-regex

describeWithServers(['script'], 'the console prompt', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => { ({ dir, cleanup } = await tmpDir()); });
  afterAll(async () => { await cleanup(); });

  it('given bot.name staging-bot, when the bot starts on a terminal, then the banner and the prompt carry that name', async () => {
    const config = path.join(dir, 'opsbot.yaml');
    await writeFile(config, 'bot: { name: staging-bot }\ntargets:\n  self:\n    health:\n      - memory: { maxUsedPercent: 100 }\n');
    const port = await freePort();
    const cmd = `exec '${process.execPath}' --import tsx src/cli.ts start`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'dumb', PORT: String(port), OPSBOT_CONFIG: config, OPSBOT_DATA_DIR: path.join(dir, 'data') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const screen = () => out.replace(ansi, '');
    try {
      await waitFor(() => screen().includes('staging-bot> '), { what: 'the prompt', timeoutMs: 30_000 }).catch((e) => { throw new Error(`${(e as Error).message}\n${screen()}`); });
      expect(screen()).toContain('staging-bot console — you are console:operator');
      expect(screen()).not.toContain('opsbot> ');
      child.stdin?.write('\x03');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
