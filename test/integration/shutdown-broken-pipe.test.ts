/**
 * `opsbot start 2>&1 | tee bot.log`, then Ctrl-C: the terminal's SIGINT reaches tee and the bot at
 * once, so the bot's first shutdown log line meets a pipe with no reader (EPIPE). The bot must
 * still stop (README: SIGTERM / SIGINT stop it gracefully, exit 0), not hang in its exit.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, tmpDir, waitFor } from '../support/servers.js';
import { bareEnv } from '../support/process.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => { ({ dir, cleanup } = await tmpDir()); });
afterAll(async () => { await cleanup(); });

describe('opsbot start whose log reader went away', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('given the reader of its stderr is gone, when it gets %s, then it exits 0 within its shutdown timeout', async (signal) => {
    const port = await freePort();
    const configFile = path.join(dir, `opsbot-${signal}.yaml`);
    await writeFile(configFile, [
      'bot: { shutdownTimeout: 2s }',
      'targets:',
      '  self:',
      '    health:',
      '      - memory: { maxUsedPercent: 100 }',
    ].join('\n'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], {
      env: bareEnv({ PORT: String(port), OPSBOT_CONFIG: configFile, OPSBOT_DATA_DIR: path.join(dir, `data-${signal}`), LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let err = '';
      child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
      await waitFor(() => /opsbot started/.test(err), { what: 'the start log line', timeoutMs: 30_000 });
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, { what: 'healthz', timeoutMs: 10_000 });
      // The reader (tee, a log shipper) is gone: nothing reads the pipe any more.
      child.stderr?.destroy();
      child.kill(signal);
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 8_000))]);
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    }
  }, 60_000);
});
