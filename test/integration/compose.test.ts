/**
 * The shipped docker-compose.yml. Images cannot be pulled here, so: Debian's `docker-compose
 * config` resolves and checks the file (with `.env.example` as the user's `.env`), and the bot is
 * started with exactly the environment compose would give its container, on the shipped
 * config/compose.yaml, against a real redis-server.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describeWithServers, freePort, tmpDir, waitFor } from '../support/servers.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { startBotProcess, type RunningBot } from '../support/process.js';

interface ComposeService {
  ports?: (string | { published: string | number; target: number; host_ip?: string })[];
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: (string | { source: string; target: string })[];
}

/** The token a user puts in `.env` (the example leaves it empty: compose refuses to start without one). */
const WEBHOOK_TOKEN = 'compose-test-webhook-token';

function composeConfig(extraEnv: Record<string, string> = { WEBHOOK_TOKEN }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('docker-compose', ['--env-file', '.env.example', '-f', 'docker-compose.yml', 'config'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...extraEnv }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** `ENV A=1 B=2` of the Dockerfile's last stage: what the container has before compose adds its own. */
function imageEnv(): Record<string, string> {
  const lines = readFileSync('Dockerfile', 'utf8').split('\n');
  const last = lines.map((l, i) => (l.startsWith('FROM ') ? i : -1)).filter((i) => i >= 0).pop() ?? 0;
  const env: Record<string, string> = {};
  for (const l of lines.slice(last)) {
    if (!l.startsWith('ENV ')) continue;
    for (const m of l.slice(4).matchAll(/([A-Z_]+)=(\S+)/g)) env[m[1] as string] = m[2] as string;
  }
  return env;
}

describe('.env.example', () => {
  it('lists every variable docker-compose.yml reads, and nothing else', () => {
    const used = new Set([...readFileSync('docker-compose.yml', 'utf8').matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]));
    const listed = new Set([...readFileSync('.env.example', 'utf8').matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect([...used].sort()).toEqual([...listed].sort());
  });
});

describeWithServers(['docker-compose', 'redis-server'], 'docker-compose.yml (docker-compose config, then the bot with its environment)', () => {
  let services: Record<string, ComposeService>;
  beforeAll(async () => {
    const r = await composeConfig();
    expect(r.stderr).not.toMatch(/ERROR/);
    expect(r.code).toBe(0);
    services = (parse(r.stdout) as { services: Record<string, ComposeService> }).services;
  }, 40_000);

  it('is valid, mongo and redis are health-checked, and opsbot waits until they are healthy', () => {
    expect(Object.keys(services).sort()).toEqual(['mongo', 'opsbot', 'redis']);
    expect(services.mongo?.healthcheck?.test).toContain('mongosh');
    expect(services.redis?.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(services.opsbot?.depends_on).toEqual({ mongo: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
  });

  it('refuses to start without WEBHOOK_TOKEN, naming it', async () => {
    const r = await composeConfig({});
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('set WEBHOOK_TOKEN in .env');
  }, 40_000);

  it('publishes the port on the host loopback only, while the bot listens on every interface inside the container', () => {
    const ports = (services.opsbot?.ports ?? []).map((p) => (typeof p === 'string' ? p : `${p.host_ip ?? ''}:${p.published}:${p.target}`));
    expect(ports).toEqual([expect.stringMatching(/^127\.0\.0\.1:3000:3000/)]);
    expect(services.opsbot?.environment?.HOST).toBe('0.0.0.0');
  });

  it('names a config file the repository has, under the mounted ./config', () => {
    const file = services.opsbot?.environment?.OPSBOT_CONFIG as string;
    const mount = (services.opsbot?.volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`)).find((v) => v.includes(':/app/config'));
    expect(mount).toBeDefined();
    const hostDir = (mount as string).split(':')[0] as string;
    expect(file.startsWith('/app/config/')).toBe(true);
    expect(existsSync(path.join(hostDir, file.slice('/app/config/'.length)))).toBe(true);
  });

  describe('given the bot started with the compose environment on config/compose.yaml', () => {
    let redis: RedisServer;
    let bot: RunningBot;
    let port: number;
    let dir: string;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      redis = await startRedis();
      ({ dir, cleanup } = await tmpDir());
      port = await freePort();
      const composeEnv = Object.fromEntries(Object.entries(services.opsbot?.environment ?? {}).map(([k, v]) => [k, v ?? '']));
      const env: Record<string, string> = {
        ...imageEnv(),
        ...composeEnv,
        // The container's paths and service names, mapped onto this host:
        OPSBOT_CONFIG: (composeEnv.OPSBOT_CONFIG as string).replace(/^\/app\//, ''),
        OPSBOT_DATA_DIR: dir,
        PORT: String(port),
        HOST: '127.0.0.1',
        REDIS_URL: redis.url,
        // Debian has no MongoDB server: the embedded store, unless a real MongoDB is given.
        MONGODB_URL: process.env.MONGODB_URL ?? '',
      };
      bot = startBotProcess(['start'], env);
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, { what: 'healthz', timeoutMs: 30_000 }).catch((e) => {
        throw new Error(`${(e as Error).message}\n${bot.stderr()}`);
      });
    }, 60_000);
    afterAll(async () => {
      await bot?.stop('SIGTERM');
      await redis?.stop();
      await cleanup?.();
    });

    it('accepts a webhook with the token from .env and refuses one without', async () => {
      const post = (headers: Record<string, string>) => fetch(`http://127.0.0.1:${port}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
      expect((await post({})).status).toBe(401);
      expect((await post({ authorization: `Bearer ${WEBHOOK_TOKEN}` })).status).toBe(400);
    });

    it('starts (empty ALERTMANAGER_URL and tokens count as unset) and is ready with Redis coordination', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      const body = await res.json() as Record<string, unknown>;
      expect({ status: res.status, body }).toMatchObject({ status: 200 });
      expect(bot.stderr()).not.toMatch(/Invalid URL|Invalid configuration/);
    });

    it('its own, Redis and disk checks pass through the console', async () => {
      bot.send('health opsbot');
      const out = await bot.waitForOutput(/Health: opsbot[\s\S]*memory\s+\S+/);
      expect(out).toMatch(/opsbot \/healthz\s+ok/);
      expect(out).toMatch(/redis\s+ok/);
      expect(out).toMatch(/data disk\s+ok/);
    });

    it('SIGTERM stops it gracefully with exit 0', async () => {
      expect(await bot.stop('SIGTERM')).toBe(0);
    });
  });
});
