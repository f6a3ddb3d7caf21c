/**
 * A target under the real pm2 (the npm package, a dev dependency) with its own PM2_HOME in a temp
 * dir, managing the tiny HTTP app: `status`, a health-verified `restart`, `logs` from pm2's files.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, tmpDir, waitFor } from '../support/servers.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { ADMIN_RBAC, exec } from '../support/backup.js';
import { TINY_HTTP } from '../support/supervisor.js';

const run = promisify(execFile);
const PM2 = path.resolve('node_modules/.bin/pm2');

async function pidOf(port: number): Promise<number | undefined> {
  try {
    return ((await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

describe('pm2 service manager (real pm2)', () => {
  let home: { dir: string; cleanup: () => Promise<void> };
  let tb: TestBot;
  let port: number;
  const pm2 = (...args: string[]) => run(PM2, args, { env: { ...process.env, PM2_HOME: home.dir }, timeout: 60_000 });

  beforeAll(async () => {
    home = await tmpDir('opsbot-pm2-');
    port = await freePort();
    await pm2('start', TINY_HTTP, '--name', 'linguamate', '--time', '--', String(port));
    await waitFor(() => pidOf(port), { timeoutMs: 20_000, what: 'the pm2 app answering' });
    tb = await startTestBot({
      yaml: `${ADMIN_RBAC}
targets:
  linguamate:
    health:
      - name: api
        http: { url: "http://127.0.0.1:${port}/", json: { status: ok } }
    manager: { kind: pm2, name: linguamate, pm2: ${PM2}, pm2Home: ${home.dir}, restartTimeout: 30s }
`,
    });
  }, 90_000);

  afterAll(async () => {
    await tb?.stop();
    await pm2('kill').catch(() => undefined);
    await home?.cleanup();
  }, 60_000);

  it('given the app online, when status runs, then it shows online with its PID', async () => {
    const pid = await pidOf(port);
    const r = await exec(tb, 'status linguamate');
    expect(r.reply.status).toBe('ok');
    expect(r.text).toContain('online');
    expect(r.text).toContain(String(pid));
  }, 30_000);

  it('given the app online, when restart runs, then a new process answers and the restart count went up', async () => {
    const before = await pidOf(port);
    const r = await exec(tb, 'restart linguamate');
    expect(r.text).toContain('running and healthy again');
    expect(r.text).toMatch(/0 → 1/);
    const after = await pidOf(port);
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
  }, 60_000);

  it('given pm2 log files, when logs runs, then stdout and stderr lines are shown with their times', async () => {
    const r = await exec(tb, 'logs linguamate --lines 10');
    expect(r.text).toContain('tiny-http listening on');
    expect(r.text).toContain('err | ');
    expect(r.text).toMatch(/\d{2}:\d{2}:\d{2} .*out \| /);
  }, 30_000);
});
