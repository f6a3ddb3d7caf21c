/**
 * Container commands and probes against a real Docker Engine (Debian's dockerd, started by the
 * test support on its own socket) running containers of a busybox image imported from a rootfs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describeWithServers, freePort, itWithBinary, waitFor, which } from '../support/servers.js';
import { startDockerd, type DockerdServer } from '../support/docker.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { startRedis } from '../support/redis.js';
import { renderConsole } from '../../src/bot/adapters/console/render.js';
import type { Reply } from '../../src/core/reply.js';

const WEB = 'opsbot-web';
const CRASHY = 'opsbot-crashy';
const CHATTY = 'opsbot-chatty';
const TTY = 'opsbot-tty';
const FLAPPY = 'opsbot-flappy';
const PAUSED = 'opsbot-paused';

function yaml(webPort: number, closedPort: number): string {
  return `
bot: { checkTimeout: 2s }
targets:
  web:
    environment: staging
    container: { name: ${WEB}, restartTimeout: 20s, stopTimeout: 2s }
    health:
      - name: health file
        http: { url: "http://127.0.0.1:${webPort}/health" }
      - name: web container
        container: {}
      - name: errors last hour
        log-count: { pattern: "error", failAt: 100, warnAt: 50 }
  crashy:
    container: { name: ${CRASHY}, restartTimeout: 10s, stopTimeout: 1s, logLines: 5 }
    health:
      - name: crashy container
        container: {}
  chatty:
    container: { name: ${CHATTY} }
    health:
      - name: failed logins
        log-count: { pattern: "failed login", window: 1h, warnAt: 2, failAt: 3 }
      - name: stderr lines
        log-count: { pattern: ".", stream: stderr, failAt: 100 }
  tty:
    container: { name: ${TTY} }
  flappy:
    container: { name: ${FLAPPY}, restartTimeout: 3s, stopTimeout: 1s }
  paused:
    container: { name: ${PAUSED} }
    health:
      - container: {}
  web-wrong-check:
    container: { name: ${WEB}, restartTimeout: 3s, stopTimeout: 1s, waitFor: [wrong port] }
    health:
      - name: wrong port
        tcp: { host: 127.0.0.1, port: ${closedPort} }
      - name: not waited for
        http: { url: "http://127.0.0.1:${webPort}/health" }
  workers:
    container: { service: worker, project: shop }
    health:
      - container: {}
  ghost:
    container: { name: opsbot-no-such-container }
    health:
      - container: {}
rbac:
  roles: { admin: { allow: ["*"] } }
  subjects: { "console:operator": [admin] }
`;
}

describeWithServers(['dockerd', 'redis-server'], 'containers on a real dockerd', () => {
  let d: DockerdServer;
  let bot: TestBot;
  let webPort: number;

  const ask = async (line: string): Promise<{ reply: Reply; text: string; outcome: string }> => {
    const r = await bot.bot.router.handle({ subject: bot.bot.consoleSubject, surface: 'console', line });
    return { reply: r.reply, text: renderConsole(r.reply, { colour: false, maxCell: 1000 }), outcome: r.outcome };
  };

  beforeAll(async () => {
    d = await startDockerd();
    webPort = await freePort();
    await d.runContainer({
      name: WEB,
      cmd: ['/bin/busybox', 'httpd', '-f', '-p', `127.0.0.1:${webPort}`, '-h', '/www'],
      healthcheck: { test: ['/bin/wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${webPort}/health`], intervalMs: 300 },
    });
    await d.runContainer({
      name: CRASHY,
      cmd: ['/bin/sh', '-c', 'echo starting up; echo "fatal: cannot read config, password=hunter2xyz" >&2; exit 3'],
      waitRunning: false,
    });
    await d.runContainer({
      name: CHATTY,
      cmd: ['/bin/sh', '-c', [
        'echo "old line"',
        'sleep 3',
        'echo "GET /health 200"',
        'echo "failed login for alice from 10.0.0.1" >&2',
        'echo "failed login for bob" >&2',
        'echo "literal \\$(id) and ../../etc/passwd and web; rm -rf /"',
        'echo "api_key=sk_live_abcdef123456 token: tok_9876543210"',
        'i=0; while [ $i -lt 300 ]; do echo "filler line $i"; i=$((i+1)); done',
        'sleep 1',
        'echo "a stderr line" >&2',
        'sleep 1',
        'echo "new line"',
        'exec sleep 3600',
      ].join('; ')],
    });
    await d.runContainer({ name: TTY, tty: true, cmd: ['/bin/sh', '-c', 'echo "from a tty"; echo "tty stderr" >&2; exec sleep 3600'] });
    for (const i of [1, 2]) {
      await d.runContainer({
        name: `shop-worker-${i}`,
        labels: { 'com.docker.compose.service': 'worker', 'com.docker.compose.project': 'shop' },
        cmd: ['/bin/sh', '-c', `echo "worker ${i} ready"; exec sleep 3600`],
      });
    }
    await d.runContainer({ name: FLAPPY, restartPolicy: 'on-failure', waitRunning: false, cmd: ['/bin/sh', '-c', 'echo "boom" >&2; exit 2'] });
    await d.runContainer({ name: PAUSED, cmd: ['/bin/sleep', '3600'] });
    await d.docker.getContainer(PAUSED).pause();
    // Another project's worker must not be picked up.
    await d.runContainer({ name: 'other-worker', labels: { 'com.docker.compose.service': 'worker', 'com.docker.compose.project': 'other' }, cmd: ['/bin/sleep', '3600'] });
    await waitFor(async () => (await d.docker.getContainer(WEB).inspect()).State.Health?.Status === 'healthy', { what: 'web healthy', timeoutMs: 15_000 });
    await waitFor(async () => (await d.docker.getContainer(CRASHY).inspect()).State.Status === 'exited', { what: 'crashy exited' });
    await waitFor(async () => (await d.docker.getContainer(FLAPPY).inspect()).RestartCount >= 2, { what: 'flappy restarted by its policy' });
    await waitFor(async () => {
      const logs = (await d.docker.getContainer(CHATTY).logs({ stdout: true, stderr: true })).toString();
      return logs.includes('new line');
    }, { what: 'chatty logged', timeoutMs: 15_000 });
    bot = await startTestBot({ yaml: yaml(webPort, await freePort()), http: false, env: { DOCKER_HOST: d.host } });
  }, 120_000);

  afterAll(async () => {
    await bot?.stop();
    await d?.stop();
  }, 60_000);

  describe('status', () => {
    it('given running and exited containers, when status runs for all, then each shows state, health, uptime, restarts and image', async () => {
      const { reply, text } = await ask('status');
      expect(reply.status).toBe('fail'); // crashy is exited, ghost does not exist
      expect(text).toMatch(new RegExp(`web\\s+${WEB}\\s+opsbot-busybox:test\\s+running\\s+healthy\\s+\\d`));
      expect(text).toMatch(new RegExp(`crashy\\s+${CRASHY}\\s+opsbot-busybox:test\\s+exited \\(3\\)\\s+-\\s+down`));
      expect(text).toContain('shop-worker-1');
      expect(text).toContain('shop-worker-2');
      expect(text).not.toContain('other-worker');
      expect(text).toMatch(/ghost .*error: No container named "opsbot-no-such-container"/);
    });

    it('given a crash-looping container and a paused one, when status runs, then the policy restart count and the paused state show', async () => {
      const flappy = await ask('status flappy');
      // Caught between two crashes it is "restarting" or "exited" (fail), or up for a moment after a policy restart (warn).
      expect(['fail', 'warn']).toContain(flappy.reply.status);
      const restarts = Number(/opsbot-flappy .* (\d+)\s*$/m.exec(flappy.text)?.[1]);
      expect(restarts).toBeGreaterThanOrEqual(2);
      const paused = await ask('status paused');
      expect(paused.reply.status).toBe('fail');
      expect(paused.text).toMatch(/opsbot-paused\s+opsbot-busybox:test\s+paused/);
      const health = await ask('health paused');
      expect(health.text).toMatch(/FAIL\s+opsbot-paused paused/);
    });

    it('given one healthy target, when status names it, then the reply is ok and lists only it', async () => {
      const { reply, text } = await ask('status web');
      expect(reply.status).toBe('ok');
      expect(text).toContain('1 container running and healthy');
      expect(text).not.toContain(CRASHY);
    });

    it('given a target whose container does not exist, when status names it, then the message says so', async () => {
      const { reply, text } = await ask('status ghost');
      expect(reply.status).toBe('fail');
      expect(text).toContain('No container named "opsbot-no-such-container"');
      expect(text).not.toMatch(/at .*\.js:\d+/);
    });
  });

  describe('health probes', () => {
    it('given the container and log-count probes, when health runs, then running/healthy and counts are reported', async () => {
      const web = await ask('health web');
      expect(web.reply.status).toBe('ok');
      expect(web.text).toMatch(/web container\s+ok\s+opsbot-web running \S+, healthy/);
      expect(web.text).toMatch(/errors last hour\s+ok\s+\d+ lines? matching \/error\/i/);

      const chatty = await ask('health chatty');
      expect(chatty.text).toMatch(/failed logins\s+warn\s+2 lines matching \/failed login\/i in the last 1h/);
      expect(chatty.text).toMatch(/stderr lines\s+ok\s+3 lines matching/);

      const crashy = await ask('health crashy');
      expect(crashy.reply.status).toBe('fail');
      expect(crashy.text).toMatch(/opsbot-crashy exited \(code 3\)/);

      const workers = await ask('health workers');
      expect(workers.reply.status).toBe('ok');
      expect(workers.text).toMatch(/shop-worker-1 running \S+; shop-worker-2 running/);
    });
  });

  describe('logs', () => {
    it('given stdout and stderr lines, when logs runs, then both appear demultiplexed with their stream and secrets redacted', async () => {
      const { reply, text } = await ask('logs chatty --lines 400');
      expect(reply.status).toBe('info');
      expect((await ask('logs chatty --grep "login for"')).text).toMatch(/err \| failed login for alice[^]*err \| failed login for bob/);
      expect((await ask('logs chatty --grep "GET /health"')).text).toMatch(/out \| GET \/health 200/);
      const secret = await ask('logs chatty --grep api_key');
      expect(secret.text).toContain('out | api_key=[redacted] token: [redacted]');
      expect(secret.text).not.toContain('sk_live_abcdef123456');
      expect(text).not.toContain('sk_live_abcdef123456');
      expect(text).not.toContain('tok_9876543210');
      // The header bytes of Docker's multiplexed stream never leak into the text.
      expect([...text].some((ch) => ch.charCodeAt(0) < 9)).toBe(false);
      // Long output is cut to the reply budget with a count of what was left out.
      expect(text).toMatch(/\d+ earlier lines? not shown/);
      expect(text).toContain('new line');
    });

    it('given --lines, when logs runs, then only the newest N lines come back', async () => {
      const { text } = await ask('logs chatty --lines 2');
      expect(text).toContain('Lines:      2 lines');
      expect(text).toMatch(/err \| a stderr line\n\s+\S+ out \| new line/);
      expect(text).not.toContain('filler line 299');
    });

    it('given --grep, when logs runs, then only matching lines come back (case-insensitive, plain text)', async () => {
      const { text } = await ask('logs chatty --grep "FAILED LOGIN"');
      expect(text).toContain('2 matching lines of');
      expect(text).toContain('failed login for alice');
      expect(text).toContain('failed login for bob');
      expect(text).not.toContain('filler');
    });

    it('given --since, when logs runs, then older lines are left out', async () => {
      const startedAt = Date.parse((await d.docker.getContainer(CHATTY).inspect()).State.StartedAt);
      // "old line" was printed 3 s before the rest; ask for a window that starts after it.
      const windowS = Math.max(1, Math.floor((Date.now() - startedAt) / 1000) - 2);
      const recent = await ask(`logs chatty --since ${windowS}s --grep "new line"`);
      expect(recent.text).toContain('1 matching line of');
      const { text } = await ask(`logs chatty --since ${windowS}s --grep "old line"`);
      expect(text).toMatch(/0 matching lines of \d+ scanned/);
      const all = await ask('logs chatty --grep "old line"');
      expect(all.text).toContain('out | old line');
    });

    it('given a TTY container, when logs runs, then its raw stream is read as stdout', async () => {
      const { text } = await ask('logs tty');
      expect(text).toContain('out | from a tty');
      expect(text).toContain('out | tty stderr');
    });

    it('given a compose service with two containers, when logs runs, then lines of both are merged with their names', async () => {
      const { text } = await ask('logs workers');
      expect(text).toMatch(/shop-worker-1 out \| worker 1 ready/);
      expect(text).toMatch(/shop-worker-2 out \| worker 2 ready/);
    });

    it('given injection and traversal attempts, when passed as arguments, then they are rejected or matched as plain text', async () => {
      const literal = await ask("logs chatty --grep '$(id)'");
      expect(literal.text).toContain('1 matching line of');
      expect(literal.text).toContain('literal $(id) and ../../etc/passwd');
      const rm = await ask("logs chatty --grep 'web; rm -rf /'");
      expect(rm.text).toContain('1 matching line of');
      const traversal = await ask('logs chatty --grep ../../etc/passwd');
      expect(traversal.text).toContain('1 matching line of');
      const regexy = await ask("logs chatty --grep '.*'");
      expect(regexy.text).toContain('0 matching lines');

      for (const line of ['logs "web; rm -rf /"', 'logs "$(id)"', 'status ../../etc/passwd', 'restart "web\nrm -rf /"', 'logs "web\\nrm"']) {
        const r = await ask(line);
        expect(r.reply.status).not.toBe('ok');
        expect(r.text).toMatch(/No target named|Cannot read|unexpected argument/);
      }
      const badSince = await ask('logs chatty --since ../../etc/passwd');
      expect(badSince.outcome).toBe('usage');
      expect(badSince.text).toContain('is not a duration');
      const badLines = await ask('logs chatty --lines "5; rm -rf /"');
      expect(badLines.outcome).toBe('usage');
      expect(await ask('logs web --grep "$(touch /tmp/opsbot-pwned)"')).toBeTruthy();
      expect(existsSync('/tmp/opsbot-pwned')).toBe(false);
    });
  });

  describe('restart', () => {
    it('given --dry-run, when restart is asked, then it says exactly what it would do and does nothing', async () => {
      const before = (await d.docker.getContainer(WEB).inspect()).State.StartedAt;
      const { reply, text } = await ask('restart web --dry-run');
      expect(reply.status).toBe('info');
      expect(text).toContain('take the restart lock of web, restart container opsbot-web (now running) on unix://');
      expect(text).toContain('docker restart -t 2');
      expect(text).toContain('wait up to 20s');
      expect(text).toContain('health file, web container');
      expect(text).not.toContain('errors last hour');
      expect((await d.docker.getContainer(WEB).inspect()).State.StartedAt).toBe(before);
    });

    it('given a healthy web container, when restart runs, then it comes back running and healthy and the report shows before/after', async () => {
      const before = await d.docker.getContainer(WEB).inspect();
      const { reply, text } = await ask('restart web');
      expect(reply.status).toBe('ok');
      expect(text).toMatch(/web is running and healthy again: 1 container restarted in [\d.]+m?s/);
      expect(text).toMatch(/opsbot-web\s+running, healthy \(up \S+\)\s+running, healthy \(up \S+\)\s+0 → 0/);
      expect(text).toMatch(/health file\s+ok\s+HTTP 200/);
      const after = await d.docker.getContainer(WEB).inspect();
      expect(Date.parse(after.State.StartedAt)).toBeGreaterThan(Date.parse(before.State.StartedAt));
      expect(after.State.Health?.Status).toBe('healthy');
    }, 40_000);

    it('given a restart in progress, when a second restart of the same target comes in, then it is refused by the lock', async () => {
      const [a, b] = await Promise.all([ask('restart web'), ask('restart web')]);
      const texts = [a.text, b.text];
      expect(texts.filter((t) => t.includes('A restart of web (container opsbot-web) is already running')).length).toBe(1);
      expect([a.reply.status, b.reply.status].sort()).toEqual(['fail', 'ok']);
    }, 40_000);

    it('given two replicas sharing Redis, when both restart the same target at once, then only one restarts', async () => {
      const redis = await startRedis();
      const replicas: TestBot[] = [];
      try {
        for (let i = 0; i < 2; i++) {
          replicas.push(await startTestBot({ yaml: yaml(webPort, await freePort()), http: false, env: { DOCKER_HOST: d.host, REDIS_URL: redis.url } }));
        }
        const before = (await d.docker.getContainer(WEB).inspect()).State.StartedAt;
        const results = await Promise.all(replicas.map((r) => r.bot.router.handle({ subject: r.bot.consoleSubject, surface: 'console', line: 'restart web' })));
        const texts = results.map((r) => renderConsole(r.reply, { colour: false }));
        expect(results.map((r) => r.reply.status).sort()).toEqual(['fail', 'ok']);
        expect(texts.filter((t) => t.includes('is already running')).length).toBe(1);
        const after = await d.docker.getContainer(WEB).inspect();
        expect(after.State.StartedAt).not.toBe(before);
        expect(after.State.Health?.Status).toBe('healthy');
      } finally {
        for (const r of replicas) await r.stop();
        await redis.stop();
      }
    }, 60_000);

    it('given a container that exits on start, when restart runs, then it is reported failed with its last log lines, redacted', async () => {
      const { reply, text } = await ask('restart crashy');
      expect(reply.status).toBe('fail');
      expect(text).toContain('Restart of crashy failed');
      expect(text).toMatch(/crashy did not come back healthy: opsbot-crashy exited with code 3 after the restart/);
      expect(text).toMatch(/Last \d+ log lines of opsbot-crashy/);
      expect(text).toContain('err | fatal: cannot read config, password=[redacted]');
      expect(text).not.toContain('hunter2xyz');
      expect(text).toContain('FAILED');
    }, 40_000);

    it('given a compose service of two containers, when restart runs, then both restart one after the other', async () => {
      const { reply, text } = await ask('restart workers');
      expect(reply.status).toBe('ok');
      expect(text).toContain('2 containers restarted');
      const dry = await ask('restart workers --dry-run');
      expect(dry.text).toContain('restart the 2 containers of compose service worker of project shop (shop-worker-1: now running; shop-worker-2: now running)');
      expect(text).toMatch(/shop-worker-1 .* ok/);
      expect(text).toMatch(/shop-worker-2 .* ok/);
    }, 40_000);

    it('given checks that never pass, when restart runs, then it gives up after restartTimeout and reports the failing check', async () => {
      const { reply, text } = await ask('restart web-wrong-check');
      expect(reply.status).toBe('fail');
      expect(text).toMatch(/did not come back healthy: not healthy within 3s: opsbot-web is running but wrong port failed \(127\.0\.0\.1:\d+ refused the connection\)/);
      expect(text).toMatch(/wrong port\s+fail/);
      expect(text).not.toContain('not waited for');
      expect(text).toMatch(/Last \d+ log lines of opsbot-web|Log of opsbot-web: no log lines/);
    }, 40_000);

    it('given a container that crash-loops under its restart policy, when restart runs, then it waits out restartTimeout and fails with the crash output', async () => {
      const { reply, text } = await ask('restart flappy');
      expect(reply.status).toBe('fail');
      expect(text).toMatch(/did not come back healthy: not healthy within 3s: opsbot-flappy (is (restarting|exited) \(restart policy on-failure\)|did not stay up: it was started again \(restart policy on-failure, restart count \d+\)|stopped again right after starting \((exited with code 2|restarting)\))/);
      expect(text).toContain('err | boom');
    }, 40_000);

    it('given a paused container, when restart runs, then it is running again and its check passes', async () => {
      const { reply, text } = await ask('restart paused');
      expect(reply.status).toBe('ok');
      expect(text).toMatch(/opsbot-paused\s+paused\s+running \(up \S+\)/);
      expect((await ask('health paused')).reply.status).toBe('ok');
    }, 40_000);

    it('given a target without a container section or a missing container, when restart runs, then the message says so', async () => {
      const ghost = await ask('restart ghost');
      expect(ghost.reply.status).toBe('fail');
      expect(ghost.text).toContain('No container named "opsbot-no-such-container"');
    });
  });

  describe('permission denied', () => {
    itWithBinary('setpriv', 'given a process without access to the Docker socket, when it asks Docker, then the message says permission denied', async () => {
      // The socket goes to another owner, and the child runs as root minus the capabilities that
      // override file permissions: what a bot user outside the docker group meets.
      const was = await stat(d.socketPath);
      await chown(d.socketPath, 65534, 65534);
      await chmod(d.socketPath, 0o600);
      try {
        const { stdout } = await promisify(execFile)(which('setpriv') as string, [
          '--bounding-set=-dac_override,-dac_read_search,-fowner',
          process.execPath, '--import', 'tsx', 'test/support/docker-version-cli.ts', d.host,
        ], { timeout: 30_000 });
        const out = JSON.parse(stdout.trim().split('\n').pop() as string) as { ok: boolean; code?: string; message?: string };
        expect(out).toEqual({ ok: false, code: 'denied', message: `Permission denied on the Docker socket at ${d.host}: the bot's user needs access to it (for example membership of the docker group)` });
      } finally {
        await chown(d.socketPath, was.uid, was.gid);
        await chmod(d.socketPath, was.mode & 0o777);
      }
      // This process (with its capabilities) still reaches the daemon.
      expect((await ask('status web')).reply.status).toBe('ok');
    }, 40_000);
  });

  describe('Docker unreachable', () => {
    it('given dockerd is stopped, when status, logs and restart run, then each says Docker is not reachable, without a stack trace', async () => {
      await d.stopDaemon();
      for (const line of ['status web', 'logs web', 'restart web']) {
        const { reply, text } = await ask(line);
        expect(reply.status).toBe('fail');
        expect(text).toContain(`Docker is not reachable at ${d.host}`);
        expect(text).not.toMatch(/\bat .*:\d+:\d+/);
      }
      const health = await ask('health web');
      expect(health.text).toMatch(/web container\s+FAIL\s+Docker is not reachable/);
      const dry = await ask('restart web --dry-run');
      expect(dry.text).toContain('Docker could not be asked: Docker is not reachable');
    }, 30_000);
  });
});
