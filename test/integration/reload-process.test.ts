/**
 * Config reload through the user's path: a real `opsbot start` process on a config file, the file
 * edited, then `kill -HUP` or `opsbot reload`. A newly allowed command works, a new route takes
 * the next alert, a new job runs and a removed one stops; an invalid edit leaves the old config in
 * force (logged with its key path; `opsbot reload` exits 78 and sends nothing); an edit of a
 * restart-only key is refused by the process, named.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, tmpDir, waitFor } from '../support/servers.js';
import { runCli, startBotProcess, type RunningBot } from '../support/process.js';
import { payload } from '../support/alert-payloads.js';

const config = (o: { viewerAllows: string; routeChannel: string; job: string; extraBot?: string; subjectRole?: string }) => `
bot: { consoleUser: "console:tester", shutdownTimeout: 5s${o.extraBot ?? ''} }
alerting:
  allowUnauthenticated: true
  defaultChannel: console:alerts
  routes:
    - { name: page, matchers: ['severity="critical"'], channels: [${o.routeChannel}] }
jobs:
  ${o.job}: { cron: "*/1 * * * * *", run: whoami, channel: "console:${o.job}", notify: always, role: viewer }
rbac:
  roles: { viewer: { allow: [${o.viewerAllows}] }, admin: { allow: ["*"] } }
  subjects: { "console:tester": [${o.subjectRole ?? 'viewer'}] }
`;
const v1 = config({ viewerAllows: 'whoami', routeChannel: 'console:page', job: 'old-tick' });
const v2 = config({ viewerAllows: 'whoami, alerts', routeChannel: 'console:page-two', job: 'new-tick' });

const count = (text: string, needle: string) => text.split(needle).length - 1;
/** The JSON log lines of a piece of stderr (a line cut at the piece's start is skipped). */
const logLines = (text: string) => text.split('\n').flatMap((l) => {
  try {
    return [JSON.parse(l) as Record<string, unknown>];
  } catch {
    return [];
  }
});

describe('config reload of a running opsbot start', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let file: string;
  let env: Record<string, string>;
  let port: number;
  let bot: RunningBot;

  const postAlert = async (alertname: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/alertmanager`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload({ alertname, alerts: [{ labels: { severity: 'critical', instance: `${alertname}-1` } }] })),
    });
    expect(res.status).toBe(200);
  };
  const waitForLog = (re: RegExp, from = 0) => waitFor(() => re.exec(bot.stderr().slice(from))?.[0], { what: `log ${re}`, timeoutMs: 20_000 });

  beforeAll(async () => {
    ({ dir, cleanup } = await tmpDir('opsbot-reload-proc-'));
    port = await freePort();
    file = path.join(dir, 'opsbot.yaml');
    await writeFile(file, v1);
    env = { PORT: String(port), HOST: '127.0.0.1', OPSBOT_DATA_DIR: path.join(dir, 'data'), OPSBOT_CONFIG: file };
    bot = startBotProcess(['start'], env);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, { what: 'healthz', timeoutMs: 30_000 });
    await waitFor(async () => (await readdir(path.join(dir, 'data', 'run')).catch((): string[] => [])).some((f) => f === `opsbot-${bot.child.pid}.pid`), { what: 'pid file' });
  }, 40_000);
  afterAll(async () => {
    await bot?.stop('SIGKILL');
    await cleanup();
  });

  it('given an edited file and kill -HUP, then the new rbac, route and jobs apply: a newly allowed command runs, the next alert takes the new route, the new job runs and the removed one stops', async () => {
    await bot.waitForOutput(/#old-tick \[msg \d+\]/);
    bot.send('alerts');
    await bot.waitForOutput(/You may not run `alerts`/);

    await writeFile(file, v2);
    const mark = bot.stderr().length;
    bot.child.kill('SIGHUP');
    await waitForLog(/config reloaded from [^"]+: applied [^"]*/, mark);
    expect(bot.stderr().slice(mark)).toMatch(/"changed":\["rbac","jobs","alerting.routes"\]/);

    bot.send('alerts');
    await bot.waitForOutput(/No open alert groups\./);
    await postAlert('AfterReload');
    await bot.waitForOutput(/#page-two \[msg \d+\]\n\[FAIL\] \[FIRING:1\] AfterReload/);
    await bot.waitForOutput(/#new-tick \[msg \d+\]/);
    const oldRuns = count(bot.stdout(), '#old-tick [msg');
    await new Promise((r) => setTimeout(r, 2500));
    expect(count(bot.stdout(), '#old-tick [msg')).toBe(oldRuns);
    expect(count(bot.stdout(), '#new-tick [msg')).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('given an invalid edit and kill -HUP, then the old config stays in force and the problem is logged with its key path', async () => {
    await writeFile(file, config({ viewerAllows: 'whoami', routeChannel: 'console:page', job: 'new-tick', subjectRole: 'nosuch' }));
    const mark = bot.stderr().length;
    bot.child.kill('SIGHUP');
    await waitForLog(/config reload refused/, mark);
    const entry = logLines(bot.stderr().slice(mark)).find((l) => typeof l.msg === 'string' && l.msg.startsWith('config reload refused'));
    expect(entry?.problems).toEqual([expect.stringContaining('rbac.subjects["console:tester"][0]: Unknown role "nosuch"')]);
    // Still v2: alerts is allowed (the alert posted before is open now).
    const before = count(bot.stdout(), 'Open alert groups: 1');
    bot.send('alerts');
    await waitFor(() => count(bot.stdout(), 'Open alert groups: 1') > before, { what: 'alerts answered under the old config' });
  }, 30_000);

  it('given an invalid edit, then `opsbot reload` exits 78 with the problems and sends nothing', async () => {
    const mark = bot.stderr().length;
    const r = await runCli(['reload'], env);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`Invalid configuration in ${file}`);
    expect(r.stderr).toContain('Unknown role "nosuch"');
    expect(r.stderr).toContain('nothing was sent');
    await new Promise((res) => setTimeout(res, 300));
    expect(bot.stderr().slice(mark)).not.toContain('SIGHUP');
  }, 60_000);

  it('given an edit of a restart-only key, then `opsbot reload` reports the process refused it, naming the key, and exits 78', async () => {
    await writeFile(file, config({ viewerAllows: 'whoami, alerts, jobs', routeChannel: 'console:page-two', job: 'new-tick', extraBot: ', commandTimeout: 2m' }));
    const r = await runCli(['reload'], env);
    expect(r.code).toBe(78);
    expect(r.stdout).toContain(`pid ${bot.child.pid}: refused`);
    expect(r.stdout).toMatch(/bot\.commandTimeout: cannot change while the bot runs; restart to apply/);
    bot.send('jobs');
    await bot.waitForOutput(/You may not run `jobs`/);
  }, 60_000);

  it('given a second bot on the same data folder, then `opsbot reload` reloads both and reports each', async () => {
    // Both start from the same file (the first bot still runs the last one it applied).
    await writeFile(file, config({ viewerAllows: 'whoami, alerts', routeChannel: 'console:page-two', job: 'new-tick' }));
    const port2 = await freePort();
    const second = startBotProcess(['start'], { ...env, PORT: String(port2) });
    try {
      await waitFor(async () => (await readdir(path.join(dir, 'data', 'run')).catch((): string[] => [])).includes(`opsbot-${second.child.pid}.pid`), { what: 'second pid file', timeoutMs: 30_000 });
      await writeFile(file, config({ viewerAllows: 'whoami, alerts, help', routeChannel: 'console:page-two', job: 'new-tick' }));
      const r = await runCli(['reload'], env);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([bot.child.pid, second.child.pid].sort().map((pid) => `pid ${pid}: applied (rbac)`));
    } finally {
      expect(await second.stop('SIGTERM')).toBe(0);
    }
    expect(await readdir(path.join(dir, 'data', 'run'))).not.toContain(`opsbot-${second.child.pid}.pid`);
  }, 60_000);

  it('given a valid edit, then `opsbot reload` prints applied with what changed and exits 0; once the bot stopped, it finds no bot', async () => {
    await writeFile(file, config({ viewerAllows: 'whoami, alerts, jobs', routeChannel: 'console:page-two', job: 'new-tick' }));
    const r = await runCli(['reload'], env);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`pid ${bot.child.pid}: applied (rbac)\n`);
    expect(r.code).toBe(0);
    bot.send('jobs');
    await bot.waitForOutput(/new-tick/);

    expect(await bot.stop('SIGTERM')).toBe(0);
    const after = await runCli(['reload'], env);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('no running opsbot found');
  }, 60_000);
});
