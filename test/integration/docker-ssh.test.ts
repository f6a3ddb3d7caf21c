/**
 * Docker over SSH against real servers: a real OpenSSH server on loopback (test/support/sshd.ts)
 * whose sessions run the real docker CLI's `docker system dial-stdio` against the test dockerd
 * (its socket given as the target's `dockerHost`, the daemon's address on that host). Status,
 * logs, log-count and container checks and a health-verified restart go through the router; a
 * changed host key, a missing docker CLI and an unknown host are refused with a reason.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { describeWithServers, freePort, tmpDir, waitFor } from '../support/servers.js';
import { startDockerd, type DockerdServer } from '../support/docker.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { renderConsole } from '../../src/bot/adapters/console/render.js';
import type { Reply } from '../../src/core/reply.js';
import { parseConfigText } from '../../src/config/load.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

const WEB = 'opsbot-ssh-web';
const CHATTY = 'opsbot-ssh-chatty';

describeWithServers(['dockerd', 'docker', 'sshd', 'ssh-keygen'], 'Docker over SSH (real sshd, real dockerd)', () => {
  let d: DockerdServer;
  let sshd: Sshd;
  let bot: TestBot;
  let webPort: number;
  let tmp: { dir: string; cleanup: () => Promise<void> };

  const ask = async (line: string): Promise<{ reply: Reply; text: string; outcome: string }> => {
    const r = await bot.bot.router.handle({ subject: bot.bot.consoleSubject, surface: 'console', line });
    return { reply: r.reply, text: renderConsole(r.reply, { colour: false, maxCell: 1000 }), outcome: r.outcome };
  };

  beforeAll(async () => {
    [d, sshd, tmp] = await Promise.all([startDockerd(), startSshd(), tmpDir('opsbot-docker-ssh-')]);
    webPort = await freePort();
    await d.runContainer({
      name: WEB,
      cmd: ['/bin/busybox', 'httpd', '-f', '-p', `127.0.0.1:${webPort}`, '-h', '/www'],
      healthcheck: { test: ['/bin/wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${webPort}/health`], intervalMs: 300 },
    });
    await d.runContainer({
      name: CHATTY,
      cmd: ['/bin/sh', '-c', 'echo "GET /health 200"; echo "failed login for alice" >&2; echo "failed login for bob" >&2; exec sleep 3600'],
    });
    await waitFor(async () => (await d.docker.getContainer(WEB).inspect()).State.Health?.Status === 'healthy', { what: 'web healthy', timeoutMs: 15_000 });
    const host = (name: string, key: string) => `
  ${name}:
    address: 127.0.0.1
    port: ${sshd.port}
    user: ${sshd.user}
    privateKeyEnv: OPSBOT_TEST_SSH_KEY
    hostKey: "${key}"`;
    bot = await startTestBot({
      http: false,
      // No DOCKER_HOST: every Docker call below goes over SSH.
      env: { OPSBOT_TEST_SSH_KEY: sshd.clientKey, DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
      yaml: `
bot: { checkTimeout: 5s }
hosts:${host('box', sshd.hostKey)}${host('spoofed', sshd.otherHostKey)}
targets:
  web:
    container: { name: ${WEB}, host: box, dockerHost: "${d.host}", restartTimeout: 20s, stopTimeout: 2s }
    health:
      - name: health file
        http: { url: "http://127.0.0.1:${webPort}/health" }
      - name: web container
        container: {}
  chatty:
    container: { name: ${CHATTY}, host: box, dockerHost: "${d.host}" }
    health:
      - name: failed logins
        log-count: { pattern: "failed login", window: 1h, warnAt: 2, failAt: 3 }
  spoofed:
    container: { name: ${WEB}, host: spoofed, dockerHost: "${d.host}" }
    health:
      - container: {}
  nodaemon:
    container: { name: ${WEB}, host: box, dockerHost: "unix://${tmp.dir}/no-such.sock" }
rbac:
  roles: { admin: { allow: ["*"] } }
  subjects: { "console:operator": [admin] }
`,
    });
  }, 120_000);

  afterAll(async () => {
    await bot?.stop();
    await Promise.all([d?.stop(), sshd?.stop()]);
    await tmp?.cleanup();
  }, 60_000);

  describe('through the router', () => {
    it('given a container on an SSH host, when status runs, then its state and health come from that host\'s daemon', async () => {
      const { reply, text } = await ask('status web');
      expect(reply.status).toBe('ok');
      expect(text).toMatch(new RegExp(`web\\s+${WEB}\\s+opsbot-busybox:test\\s+running\\s+healthy`));
    }, 30_000);

    it('given the container and log-count checks, when health runs, then both read the remote daemon', async () => {
      const web = await ask('health web');
      expect(web.reply.status).toBe('ok');
      expect(web.text).toMatch(new RegExp(`web container\\s+ok\\s+${WEB} running \\S+, healthy`));
      const chatty = await ask('health chatty');
      expect(chatty.reply.status).toBe('warn');
      expect(chatty.text).toMatch(/failed logins\s+warn\s+2 lines matching \/failed login\/i in the last 1h/);
    }, 30_000);

    it('given stdout and stderr lines, when logs runs, then both come back demultiplexed over SSH', async () => {
      const { reply, text } = await ask('logs chatty --lines 10');
      expect(reply.status).toBe('info');
      expect(text).toContain('GET /health 200');
      expect(text).toMatch(/err \| failed login for alice/);
      expect(text).toMatch(/out \| GET \/health 200/);
    }, 30_000);

    it('given several status and logs calls, when they are done, then no SSH connection stays open (one per API call, closed after it)', async () => {
      for (let i = 0; i < 3; i++) {
        expect((await ask('status web')).outcome).toBe('ok');
        expect((await ask('logs chatty --lines 5')).outcome).toBe('ok');
      }
      const open = async () => {
        const { stdout } = await run('ss', ['-Htn', 'state', 'established', `( dport = :${sshd.port} )`]);
        return stdout.split('\n').filter((l) => l.trim()).length;
      };
      await waitFor(async () => (await open()) === 0, { what: 'no SSH connection left open', timeoutMs: 10_000 }).catch(async () => {
        throw new Error(`${await open()} SSH connection(s) still open after the calls`);
      });
    });

    it('given --dry-run, when restart is asked, then it names the SSH host and restarts nothing', async () => {
      const before = (await d.docker.getContainer(WEB).inspect()).State.StartedAt;
      const { text } = await ask('restart web --dry-run');
      expect(text).toContain('ssh://box');
      expect((await d.docker.getContainer(WEB).inspect()).State.StartedAt).toBe(before);
    }, 30_000);

    it('given a healthy container, when restart runs, then it is restarted over SSH and verified healthy', async () => {
      const before = await d.docker.getContainer(WEB).inspect();
      const { reply, text } = await ask('restart web');
      expect(reply.status).toBe('ok');
      expect(text).toMatch(/healthy/);
      const after = await d.docker.getContainer(WEB).inspect();
      expect(Date.parse(after.State.StartedAt)).toBeGreaterThan(Date.parse(before.State.StartedAt));
      expect(after.State.Health?.Status).toBe('healthy');
    }, 60_000);
  });

  describe('refusals', () => {
    it('given a host whose pinned key is not the server\'s, when status or restart runs, then nothing connects and the reason names the key', async () => {
      const before = (await d.docker.getContainer(WEB).inspect()).State.StartedAt;
      for (const line of ['status spoofed', 'restart spoofed']) {
        const { reply, text } = await ask(line);
        expect(reply.status).toBe('fail');
        expect(text).toMatch(/does not match the pinned key/);
      }
      const health = await ask('health spoofed');
      expect(health.text).toMatch(/does not match the pinned key/);
      expect((await d.docker.getContainer(WEB).inspect()).State.StartedAt).toBe(before);
    }, 30_000);

    it('given no daemon at the remote dockerHost, when status runs, then the reply carries the docker CLI\'s reason', async () => {
      const { reply, text } = await ask('status nodaemon');
      expect(reply.status).toBe('fail');
      expect(text).toMatch(/docker on box exited with \d+/);
      expect(text).toContain('no-such.sock');
    }, 30_000);
  });

  describe('config', () => {
    it('given container.host naming no host of hosts:, when the config loads, then the error names the key path', () => {
      expect(() => parseConfigText(`
targets:
  web:
    container: { name: web, host: nowhere }
`, 'test.yaml', {})).toThrow(/targets\.web\.container\.host.*Unknown host "nowhere"/s);
    });
  });
});
