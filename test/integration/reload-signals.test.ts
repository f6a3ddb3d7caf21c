/**
 * SIGHUP outside the running state, through the user's path (a real `opsbot start`): a SIGHUP
 * while the bot is still starting (its Redis not answering yet) neither kills it (Node's default
 * for SIGHUP) nor is lost: the file edited before the signal is applied once the bot runs. A
 * SIGHUP while it stops (a command still running) applies nothing, says so, and the bot stops
 * as it would; `opsbot reload` then finds no bot rather than waiting for one that is leaving.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeWithServers, freePort, tmpDir, waitFor } from '../support/servers.js';
import { runCli, startBotProcess, type RunningBot } from '../support/process.js';
import { startRedis, type RedisServer } from '../support/redis.js';

const config = (viewerAllows: string, extra = '') => `
bot: { consoleUser: "console:tester", shutdownTimeout: 8s }
rbac:
  roles: { viewer: { allow: [${viewerAllows}] } }
  subjects: { "console:tester": [viewer] }
${extra}`;

/** A TCP relay to Redis that holds every connection until `open()`: the bot's start waits on it. */
function gatedRelay(upstream: number) {
  let open = false;
  let connections = 0;
  const held: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    connections++;
    sockets.add(client);
    const relay = () => {
      const up = net.connect(upstream, '127.0.0.1');
      sockets.add(up);
      client.pipe(up).pipe(client);
      up.on('error', () => client.destroy());
      client.on('error', () => up.destroy());
    };
    client.pause();
    if (open) relay();
    else held.push(relay);
  });
  return {
    listen: (port: number) => new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r())),
    connections: () => connections,
    open() {
      open = true;
      for (const relay of held.splice(0)) relay();
    },
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

describeWithServers(['redis-server'], 'SIGHUP while an opsbot start is starting or stopping', () => {
  let redis: RedisServer;
  let dir: string;
  let cleanup: () => Promise<void>;
  const bots: RunningBot[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    ({ dir, cleanup } = await tmpDir('opsbot-reload-signals-'));
  }, 20_000);
  afterAll(async () => {
    await Promise.all(bots.map((b) => b.stop('SIGKILL')));
    await redis?.stop();
    await cleanup();
  });

  it('given a bot still starting, when it gets SIGHUP, then it keeps starting and applies the edited file once it runs', async () => {
    const relay = gatedRelay(redis.port);
    const relayPort = await freePort();
    await relay.listen(relayPort);
    const file = path.join(dir, 'start.yaml');
    await writeFile(file, config('whoami'));
    const port = await freePort();
    const bot = startBotProcess(['start'], { PORT: String(port), HOST: '127.0.0.1', OPSBOT_DATA_DIR: path.join(dir, 'data-start'), OPSBOT_CONFIG: file, REDIS_URL: `redis://127.0.0.1:${relayPort}` });
    bots.push(bot);
    try {
      // The bot is in its start: connecting to Redis, which does not answer yet.
      await waitFor(() => relay.connections() > 0, { what: 'the bot connecting to Redis', timeoutMs: 30_000 });
      await writeFile(file, config('whoami, alerts'));
      bot.child.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 700));
      expect({ exitCode: bot.child.exitCode, signal: bot.child.signalCode }).toEqual({ exitCode: null, signal: null });

      relay.open();
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, { what: 'healthz', timeoutMs: 30_000 });
      await waitFor(() => /config reloaded from/.test(bot.stderr()), { what: 'the reload of the signal received while starting', timeoutMs: 30_000 });
      bot.send('alerts');
      await bot.waitForOutput(/No open alerts|open alert/i);
      expect(bot.stdout()).not.toMatch(/You may not run `alerts`/);
    } finally {
      await bot.stop('SIGKILL');
      await relay.close();
    }
  }, 60_000);

  it('given a bot stopping with a command still running, when it gets SIGHUP, then nothing is reloaded, it says so, and it stops with exit 0', async () => {
    // A check that takes ~4 s keeps the shutdown draining.
    const hanging = new Set<net.Socket>();
    const silent = net.createServer((s) => { hanging.add(s); });
    const silentPort = await freePort();
    await new Promise<void>((r) => silent.listen(silentPort, '127.0.0.1', () => r()));
    const slow = `targets:\n  slow: { health: [{ name: hang, timeout: 4s, http: { url: "http://127.0.0.1:${silentPort}/" } }] }\n`;
    const file = path.join(dir, 'stop.yaml');
    await writeFile(file, config('whoami, health', slow));
    const port = await freePort();
    const env = { PORT: String(port), HOST: '127.0.0.1', OPSBOT_DATA_DIR: path.join(dir, 'data-stop'), OPSBOT_CONFIG: file };
    const bot = startBotProcess(['start'], env);
    bots.push(bot);
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, { what: 'healthz', timeoutMs: 30_000 });
      bot.send('health slow');
      await new Promise((r) => setTimeout(r, 1000));
      bot.child.kill('SIGTERM');
      await waitFor(() => /shutting down/.test(bot.stderr()), { what: 'shutting down', timeoutMs: 10_000 });
      await writeFile(file, config('whoami, health, alerts', slow));
      bot.child.kill('SIGHUP');
      const reload = await runCli(['reload', '--timeout', '3'], env);
      expect(await bot.exited).toBe(0);
      expect(bot.stderr()).toMatch(/SIGHUP while stopping: not reloaded/);
      expect(bot.stderr()).not.toMatch(/config reloaded from/);
      expect(reload.code).toBe(1);
      expect(reload.stderr).toMatch(/no running opsbot found/);
    } finally {
      await bot.stop('SIGKILL');
      for (const s of hanging) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  }, 60_000);
});
