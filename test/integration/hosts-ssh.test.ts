/**
 * Remote hosts over SSH against a real OpenSSH server (Debian's `openssh-server`) on a loopback
 * port with a host key generated for the run: the pinned key is accepted, a changed or missing
 * pin is refused with a clear message, hostile arguments reach the remote program as data, a
 * hung command is cut off by its timeout, and a supervisor-managed service is operated over SSH
 * through the router.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describeWithServers } from '../support/servers.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { startSupervisor, type Supervisor } from '../support/supervisor.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { ADMIN_RBAC, exec } from '../support/backup.js';
import { parsePinnedKey, SshExec, type SshTarget } from '../../src/ops/hosts/index.js';

describeWithServers(['sshd', 'ssh-keygen', 'supervisord'], 'SSH hosts (real sshd)', () => {
  let sshd: Sshd;
  const target = (over: Partial<SshTarget> = {}): SshTarget => ({
    name: 'box', address: '127.0.0.1', port: sshd.port, user: sshd.user, privateKey: sshd.clientKey,
    pinned: parsePinnedKey(sshd.hostKey), connectTimeoutMs: 10_000, ...over,
  });

  beforeAll(async () => { sshd = await startSshd(); }, 60_000);
  afterAll(async () => { await sshd?.stop(); });

  describe('given the server\'s host key pinned', () => {
    it('when a command runs, then it runs on the host and its output comes back', async () => {
      const r = await new SshExec(target()).exec(['id', '-un'], { timeoutMs: 10_000 });
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(sshd.user);
    });

    it('when the pin is the key\'s SHA256 fingerprint, then it is accepted too', async () => {
      const fp = parsePinnedKey(sshd.hostKey)?.fingerprint as string;
      const r = await new SshExec(target({ pinned: parsePinnedKey(fp) })).exec(['true'], { timeoutMs: 10_000 });
      expect(r.code).toBe(0);
    });

    it('when arguments carry shell syntax, then each reaches the program as one literal word', async () => {
      const marker = path.join(sshd.dir, 'pwned');
      const hostile = [
        `'; touch ${marker}; '`, `$(touch ${marker})`, `\`touch ${marker}\``, '"$HOME"', '*', 'a b  c', 'new\nline', "it's", '\\', '-n', '',
        `x && touch ${marker}`, `| touch ${marker}`, '${IFS}', '~',
      ];
      const r = await new SshExec(target()).exec(['printf', '[%s]\\n', ...hostile], { timeoutMs: 10_000 });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(hostile.map((h) => `[${h}]\n`).join(''));
      expect(existsSync(marker)).toBe(false);
    });

    it('when a command hangs, then it is cut off at its timeout', async () => {
      const started = Date.now();
      const r = await new SshExec(target()).exec(['sleep', '30'], { timeoutMs: 1_500 });
      expect(r.timedOut).toBe(true);
      expect(Date.now() - started).toBeLessThan(6_000);
    });

    it('when the exit code is not 0, then it is returned with stderr', async () => {
      const r = await new SshExec(target()).exec(['sh', '-c', 'echo oops >&2; exit 7'], { timeoutMs: 10_000 });
      expect(r.code).toBe(7);
      expect(r.stderr.trim()).toBe('oops');
    });
  });

  describe('given a different host key pinned (the host key changed)', () => {
    it('when a command runs, then the connection is refused and the message names both keys', async () => {
      const pinned = parsePinnedKey(sshd.otherHostKey);
      await expect(new SshExec(target({ pinned })).exec(['true'], { timeoutMs: 10_000 }))
        .rejects.toThrow(new RegExp(`does not match the pinned key: expected ${(pinned?.fingerprint as string).replace(/[+/]/g, '.')}, the server offered ssh-ed25519 SHA256:`));
    });

    it('when the changed key is pinned only by fingerprint, then it is refused too', async () => {
      const pinned = parsePinnedKey(parsePinnedKey(sshd.otherHostKey)?.fingerprint as string);
      await expect(new SshExec(target({ pinned })).exec(['true'], { timeoutMs: 10_000 })).rejects.toThrow(/does not match the pinned key/);
    });
  });

  describe('given no host key pinned', () => {
    it('when a command runs, then it is refused and the offered key is named', async () => {
      const fp = parsePinnedKey(sshd.hostKey)?.fingerprint as string;
      await expect(new SshExec(target({ pinned: undefined })).exec(['true'], { timeoutMs: 10_000 })).rejects.toThrow(`has no pinned host key, so opsbot does not connect. The server offered ssh-ed25519 ${fp}`);
    });
  });

  describe('given a key the server does not accept', () => {
    it('when a command runs, then authentication fails with a clear message', async () => {
      await expect(new SshExec(target({ user: 'nobody' })).exec(['true'], { timeoutMs: 10_000 })).rejects.toThrow(/refused the key \(authentication failed\)/);
    });
  });

  describe('given a supervisor program on the SSH host', () => {
    let sup: Supervisor;
    let tb: TestBot;
    beforeAll(async () => {
      sup = await startSupervisor();
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
  wrong:
    address: 127.0.0.1
    port: ${sshd.port}
    user: ${sshd.user}
    privateKeyFile: ${sshd.clientKeyFile}
    hostKey: "${sshd.otherHostKey}"
targets:
  web:
    health:
      - http: { url: "http://127.0.0.1:${sup.port}/" }
    manager: { kind: supervisor, name: web, host: box, configFile: ${sup.configFile}, restartTimeout: 20s }
  spoofed:
    manager: { kind: supervisor, name: web, host: wrong, configFile: ${sup.configFile} }
`,
      });
    }, 60_000);
    afterAll(async () => {
      await tb?.stop();
      await sup?.stop();
    });

    it('when status and restart run, then they act on the program over SSH', async () => {
      const s = await exec(tb, 'status web');
      expect(s.text).toContain('RUNNING');
      expect(s.text).toContain('box');
      const r = await exec(tb, 'restart web');
      expect(r.reply.status).toBe('ok');
      expect(r.text).toContain('on ssh');
    }, 60_000);

    it('when the host\'s pinned key does not match, then the command fails with the refusal and nothing runs', async () => {
      const r = await exec(tb, 'restart spoofed');
      expect(r.reply.status).not.toBe('ok');
      expect(r.text).toContain('does not match the pinned key');
    });
  });
});
