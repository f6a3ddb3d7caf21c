/**
 * Log files on a remote host over SSH against a real OpenSSH server (Debian's `openssh-server`)
 * on loopback: the same folder read through `find`, `tail` and `gzip` on the far side, each path
 * passed as quoted data; a folder name with shell syntax stays a name.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describeWithServers } from '../support/servers.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { ADMIN_RBAC, exec } from '../support/backup.js';
import { logTargetYaml, writeLogFolder } from '../support/log-files.js';

describeWithServers(['sshd', 'ssh-keygen'], 'log files over SSH (real sshd)', () => {
  let sshd: Sshd;
  let tb: TestBot;
  let dir: string;

  beforeAll(async () => {
    sshd = await startSshd();
    // A folder whose name is shell syntax: it must reach find/tail on the host as one word.
    dir = path.join(sshd.dir, "logs $(touch pwned) 'x'; touch pwned2");
    await mkdir(dir);
    await writeLogFolder(dir);
    tb = await startTestBot({
      env: { OPSBOT_TEST_SSH_KEY: sshd.clientKey },
      yaml: `${ADMIN_RBAC}
hosts:
  box:
    address: 127.0.0.1
    port: ${sshd.port}
    user: ${sshd.user}
    privateKeyEnv: OPSBOT_TEST_SSH_KEY
    hostKey: "${sshd.hostKey}"
  spoofed:
    address: 127.0.0.1
    port: ${sshd.port}
    user: ${sshd.user}
    privateKeyEnv: OPSBOT_TEST_SSH_KEY
    hostKey: "${sshd.otherHostKey}"
targets:
  ferritedb:
${logTargetYaml(dir.replace(/"/g, '\\"'), 'box')}
  other:
    logFiles:
      - { name: app, path: "${dir}/app.log", host: spoofed, timestamp: { regex: '^(\\S+ \\S+)', format: "yyyy-MM-dd HH:mm:ss" } }
`,
    });
  }, 60_000);
  afterAll(async () => {
    await tb?.stop();
    await sshd?.stop();
  });

  it('given log-count checks on the SSH host, when health runs, then rotated, gzipped and JSON lines are counted there', async () => {
    const r = await exec(tb, 'health ferritedb');
    expect(r.text).toMatch(/errors last hour.*3 lines with \/ERROR\/i/);
    expect(r.text).toMatch(/errors last two days.*9 lines/);
    expect(r.text).toMatch(/json errors.*2 lines with level=ERROR/);
    expect(r.text).toMatch(/slow queries.*3 lines with duration_ms > 1000/);
    expect(r.text).toContain('on ssh');
    expect(existsSync(path.join(sshd.dir, 'pwned'))).toBe(false);
    expect(existsSync(path.join(sshd.dir, 'pwned2'))).toBe(false);
  }, 30_000);

  it('given logs --file on the SSH host, when the lines span the rotated copies, then they come back in order', async () => {
    const r = await exec(tb, 'logs ferritedb --file app --lines 100');
    expect(r.text.indexOf('yesterday 3')).toBeGreaterThan(-1);
    expect(r.text.indexOf('yesterday 3')).toBeLessThan(r.text.indexOf('disk full'));
    expect(r.text).toContain('Host');
  }, 30_000);

  it('given a host whose pinned key does not match, when logs runs, then it is refused with the reason', async () => {
    const r = await exec(tb, 'logs other --file app');
    expect(r.reply.status).not.toBe('ok');
    expect(r.text).toContain('does not match the pinned key');
  }, 30_000);
});
