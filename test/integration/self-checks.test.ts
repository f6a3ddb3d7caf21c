/**
 * Checks of the bot's own endpoint (`self: true`): `opsbot exec` serves no HTTP, so it skips them
 * and says so; the running bot checks them for real. Through the real CLI, on the shipped default.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, tmpDir, waitFor } from '../support/servers.js';
import { runCli, startBotProcess, type RunningBot } from '../support/process.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => { ({ dir, cleanup } = await tmpDir()); });
afterAll(async () => { await cleanup(); });

describe('self checks', () => {
  it('given the default config, when `opsbot exec "health all"` runs, then the self checks are skipped and it exits 0', async () => {
    const r = await runCli(['exec', 'health all'], { OPSBOT_DATA_DIR: path.join(dir, 'exec'), OPSBOT_CONFIG: '', PORT: String(await freePort()) });
    expect(r.stdout).toContain('[OK] Health: all targets');
    expect(r.stdout).toMatch(/opsbot \/healthz\s+skipped\s+a check of the bot itself, and this process serves no HTTP/);
    expect(r.stdout).toMatch(/opsbot port\s+skipped/);
    expect(r.stdout).toMatch(/2 ok, 0 warnings, 0 failed, 2 skipped/);
    expect(r.code).toBe(0);
  }, 60_000);

  it('given the same closed port with and without `self: true`, then only the unmarked check fails', async () => {
    const closed = await freePort();
    const file = path.join(dir, 'marked.yaml');
    await writeFile(file, `targets:
  a:
    health:
      - name: marked
        tcp: { host: 127.0.0.1, port: ${closed}, self: true }
      - name: marked http
        http: { url: "http://127.0.0.1:${closed}/healthz", self: true }
  b:
    health:
      - name: unmarked
        tcp: { host: 127.0.0.1, port: ${closed} }
`);
    const env = { OPSBOT_DATA_DIR: path.join(dir, 'marked') };
    const a = await runCli(['exec', '--config', file, 'health a'], env);
    expect(a.stdout).toMatch(/marked\s+skipped/);
    expect(a.stdout).toMatch(/marked http\s+skipped/);
    expect(a.code).toBe(0);
    const b = await runCli(['exec', '--config', file, 'health b'], env);
    expect(b.stdout).toMatch(/unmarked\s+FAIL\s+127\.0\.0\.1:\d+ refused the connection/);
    expect(b.code).toBe(1);
  }, 60_000);

  describe('given the bot started on the default config', () => {
    let bot: RunningBot;
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      bot = startBotProcess(['start'], { PORT: String(port), HOST: '127.0.0.1', OPSBOT_DATA_DIR: path.join(dir, 'served'), OPSBOT_CONFIG: '' });
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, { what: 'healthz', timeoutMs: 30_000 });
    }, 40_000);
    afterAll(async () => { await bot?.stop('SIGKILL'); });

    it('when the console asks `health self`, then the self checks really run and pass', async () => {
      bot.send('health self');
      const out = await bot.waitForOutput(/\[OK\] Health: self[\s\S]*memory/);
      expect(out).toMatch(/opsbot \/healthz\s+ok\s+HTTP 200 in \d+ms, status=ok/);
      expect(out).toMatch(new RegExp(`opsbot port\\s+ok\\s+127\\.0\\.0\\.1:${port} open`));
      expect(out).toMatch(/4 ok, 0 warnings, 0 failed\n/);
    });
  });
});
