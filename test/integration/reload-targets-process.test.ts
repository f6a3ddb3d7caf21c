/**
 * Reloading `targets` and `hosts` of a real `opsbot start` process: the file is edited, then
 * `kill -HUP` or `opsbot reload`. A new health check answers in `health web`, a removed target
 * answers "No target named", a new Silence-button duration (and retention) applies to the next
 * alert, and a changed pinned host key of an SSH host (a real sshd) is the one the next check
 * connects with.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeWithServers, freePort, tmpDir, waitFor } from '../support/servers.js';
import { runCli, startBotProcess, type RunningBot } from '../support/process.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { payload } from '../support/alert-payloads.js';

const count = (text: string, needle: string) => text.split(needle).length - 1;

/** A bot process on `file`, its HTTP port and pid file awaited. */
async function startOn(dir: string, file: string, extraEnv: Record<string, string> = {}): Promise<{ bot: RunningBot; env: Record<string, string> }> {
  const port = await freePort();
  const env = { PORT: String(port), HOST: '127.0.0.1', OPSBOT_DATA_DIR: path.join(dir, 'data'), OPSBOT_CONFIG: file, ...extraEnv };
  const bot = startBotProcess(['start'], env);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, { what: 'healthz', timeoutMs: 30_000 });
  await waitFor(async () => (await readdir(path.join(dir, 'data', 'run')).catch((): string[] => [])).includes(`opsbot-${bot.child.pid}.pid`), { what: 'pid file' });
  return { bot, env };
}

describe('reload of targets in a running opsbot start', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let file: string;
  let server: http.Server;
  let url: string;
  let bot: RunningBot;
  let env: Record<string, string>;

  const config = (o: { webChecks: string[]; db: boolean; silence?: string; retention?: string }) => `
bot: { consoleUser: "console:tester", shutdownTimeout: 5s }
alerting: { allowUnauthenticated: true, defaultChannel: console:alerts, silenceButton: ${o.silence ?? '1h'} }
retention: ${o.retention ?? '{ audit: 400d }'}
targets:
  web:
    health:
${o.webChecks.map((n) => `      - { name: ${n}, http: { url: "${url}/${n}" } }`).join('\n')}
${o.db ? `  db:\n    health:\n      - { name: db-port, tcp: { host: 127.0.0.1, port: ${(server.address() as AddressInfo).port} } }` : ''}
`;
  /** Sends a line and waits for the next answer that matches. */
  const ask = async (line: string, re: RegExp) => {
    const from = bot.stdout().length;
    bot.send(line);
    return waitFor(() => re.exec(bot.stdout().slice(from))?.[0], { what: `answer ${re} to ${line}`, timeoutMs: 20_000 }).catch((e: Error) => {
      throw new Error(`${e.message}\n--- stdout ---\n${bot.stdout().slice(from)}\n--- stderr (tail) ---\n${bot.stderr().slice(-3000)}`);
    });
  };
  const reloaded = (from: number) => waitFor(() => /config reloaded from [^"]+: applied [^"]*/.exec(bot.stderr().slice(from))?.[0], { what: 'config reloaded', timeoutMs: 20_000 });

  beforeAll(async () => {
    tmp = await tmpDir('opsbot-reload-targets-');
    server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    file = path.join(tmp.dir, 'opsbot.yaml');
    await writeFile(file, config({ webChecks: ['home'], db: true }));
    ({ bot, env } = await startOn(tmp.dir, file));
  }, 40_000);
  afterAll(async () => {
    await bot?.stop('SIGKILL');
    server?.close();
    await tmp?.cleanup();
  });

  it('given a check added to web, when the file is edited and the process gets SIGHUP, then `health web` runs the new check', async () => {
    expect(await ask('health web', /Health: web[\s\S]*?home[^\n]*\n/)).not.toContain('api');
    await writeFile(file, config({ webChecks: ['home', 'api'], db: true }));
    const mark = bot.stderr().length;
    bot.child.kill('SIGHUP');
    expect(await reloaded(mark)).toContain('applied targets');
    const answer = await ask('health web', /Health: web[\s\S]*?api/);
    expect(answer).toContain('home');
  }, 60_000);

  it('given target db removed, when `opsbot reload` runs, then it reports applied (targets) and `health db` answers there is no such target', async () => {
    expect(await ask('health db', /Health: db[^\n]*/)).toBeDefined();
    await writeFile(file, config({ webChecks: ['home', 'api'], db: false }));
    const r = await runCli(['reload'], env);
    expect(r.stdout).toBe(`pid ${bot.child.pid}: applied (targets)\n`);
    expect(r.code).toBe(0);
    await ask('health db', /No target named "db"/);
    expect(count(await ask('health all', /Health: all[\s\S]*?api[^\n]*\n/), 'db-port')).toBe(0);
  }, 60_000);

  it('given the Silence button and retention edited, when `opsbot reload` runs, then both apply and the next alert offers the new Silence duration', async () => {
    const post = async (alertname: string) => {
      const res = await fetch(`http://127.0.0.1:${env.PORT}/webhooks/alertmanager`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload({ alertname, alerts: [{ labels: { severity: 'critical', instance: `${alertname}-1` } }] })),
      });
      expect(res.status).toBe(200);
    };
    await post('BeforeSilenceEdit');
    await bot.waitForOutput(/BeforeSilenceEdit[\s\S]*?Silence 1h → `silence \S+ 1h`/);
    await writeFile(file, config({ webChecks: ['home', 'api'], db: false, silence: '2h', retention: '{ audit: 30d, interval: 2h }' }));
    const r = await runCli(['reload'], env);
    expect(r.stdout).toBe(`pid ${bot.child.pid}: applied (retention, alerting.silenceButton)\n`);
    expect(r.code).toBe(0);
    await post('AfterSilenceEdit');
    await bot.waitForOutput(/AfterSilenceEdit[\s\S]*?Silence 2h → `silence \S+ 2h`/);
  }, 60_000);
});

describeWithServers(['sshd', 'ssh-keygen'], 'reload of hosts in a running opsbot start (real sshd)', () => {
  let sshd: Sshd;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let file: string;
  let bot: RunningBot;

  const config = (hostKey: string) => `
bot: { consoleUser: "console:tester", shutdownTimeout: 5s }
hosts:
  box:
    address: 127.0.0.1
    port: ${sshd.port}
    user: ${sshd.user}
    privateKeyEnv: OPSBOT_TEST_SSH_KEY
    hostKey: "${hostKey}"
targets:
  box:
    health:
      - { name: remote-disk, disk: { host: box, path: /, maxUsedPercent: 100 } }
`;
  const ask = async (line: string, re: RegExp) => {
    const from = bot.stdout().length;
    bot.send(line);
    return waitFor(() => re.exec(bot.stdout().slice(from))?.[0], { what: `answer ${re} to ${line}`, timeoutMs: 30_000 }).catch((e: Error) => {
      throw new Error(`${e.message}\n--- stdout ---\n${bot.stdout().slice(from)}\n--- stderr (tail) ---\n${bot.stderr().slice(-3000)}`);
    });
  };

  beforeAll(async () => {
    sshd = await startSshd();
    tmp = await tmpDir('opsbot-reload-hosts-');
    file = path.join(tmp.dir, 'opsbot.yaml');
    await writeFile(file, config(sshd.otherHostKey));
    ({ bot } = await startOn(tmp.dir, file, { OPSBOT_TEST_SSH_KEY: sshd.clientKey }));
  }, 60_000);
  afterAll(async () => {
    await bot?.stop('SIGKILL');
    await sshd?.stop();
    await tmp?.cleanup();
  });

  it('given a host pinned to the wrong key, when the right key is put in the file and the process gets SIGHUP, then the next check connects with it', async () => {
    const refused = await ask('health box', /Health: box[\s\S]*?remote-disk[^\n]*\n(?:[^\n]*\n)?/);
    expect(refused).toMatch(/host key/i);
    await writeFile(file, config(sshd.hostKey));
    const mark = bot.stderr().length;
    bot.child.kill('SIGHUP');
    await waitFor(() => /config reloaded from [^"]+: applied hosts/.exec(bot.stderr().slice(mark))?.[0], { what: 'hosts reloaded', timeoutMs: 20_000 });
    const ok = await ask('health box', /Health: box[\s\S]*?remote-disk[^\n]*\n(?:[^\n]*\n)?/);
    expect(ok).not.toMatch(/host key/i);
    expect(ok).toMatch(/used/);
  }, 90_000);
});
