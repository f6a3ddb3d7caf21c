import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { describeWithServers, freePort } from '../support/servers.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { runConfiguredCheck } from '../support/probe.js';

describeWithServers(['redis-server'], 'redis probe against a real redis-server', () => {
  let redis: RedisServer;
  let client: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it('given a fresh server, then PING is ok, used memory is reported and hit rate is n/a', async () => {
    const r = await runConfiguredCheck({ redis: { url: redis.url } });
    expect(r.status).toBe('ok');
    expect(r.detail).toMatch(/PONG in \d+ms, memory [\d.]+(KB|MB)/);
    expect(r.detail).toContain('hit rate n/a');
    expect(Number(r.data?.usedMemoryBytes)).toBeGreaterThan(100_000);
  });

  it('given 30 hits and 70 misses, then the hit rate is 30% and under minHitRate 50 it fails', async () => {
    await client.config('RESETSTAT');
    await client.set('k', 'v');
    for (let i = 0; i < 30; i++) await client.get('k');
    for (let i = 0; i < 70; i++) await client.get(`missing-${i}`);
    const failing = await runConfiguredCheck({ redis: { url: redis.url, minHitRate: 50, minLookups: 100 } });
    expect(failing.data?.keyspaceHits).toBe(30);
    expect(failing.data?.keyspaceMisses).toBe(70);
    expect(failing.data?.hitRatePercent).toBe(30);
    expect(failing.status).toBe('fail');
    expect(failing.detail).toContain('hit rate 30.0% (under 50%)');
    const warning = await runConfiguredCheck({ redis: { url: redis.url, minHitRate: 10, warnHitRate: 40 } });
    expect(warning.status).toBe('warn');
    const fine = await runConfiguredCheck({ redis: { url: redis.url, minHitRate: 10 } });
    expect(fine.status).toBe('ok');
  });

  it('given used memory over maxUsedMemory, then it fails; over warnUsedMemory only, it warns', async () => {
    const used = Number((await client.info('memory')).match(/used_memory:(\d+)/)?.[1]);
    const over = await runConfiguredCheck({ redis: { url: redis.url, maxUsedMemory: 1024 } });
    expect(over.status).toBe('fail');
    expect(over.detail).toContain('at or over 1.0KB');
    const warn = await runConfiguredCheck({ redis: { url: redis.url, warnUsedMemory: '1kb', maxUsedMemory: used * 100 } });
    expect(warn.status).toBe('warn');
  });

  it('given a password-protected server and a wrong password in the URL, then it fails and the password is not shown', async () => {
    await client.config('SET', 'requirepass', 'right-horse-battery');
    try {
      const r = await runConfiguredCheck({ redis: { url: `redis://default:wrong-staple-99@127.0.0.1:${redis.port}` } });
      expect(r.status).toBe('fail');
      expect(r.detail).toMatch(/WRONGPASS|invalid|auth/i);
      expect(`${r.detail} ${r.name}`).not.toContain('wrong-staple-99');
      const ok = await runConfiguredCheck({ redis: { url: `redis://default:right-horse-battery@127.0.0.1:${redis.port}` } });
      expect(ok.status).toBe('ok');
      expect(`${ok.detail} ${ok.name}`).not.toContain('right-horse-battery');
    } finally {
      await client.call('AUTH', 'right-horse-battery');
      await client.config('SET', 'requirepass', '');
    }
  });

  it('given nothing listening, then it fails quickly with the refusal', async () => {
    const port = await freePort();
    const r = await runConfiguredCheck({ redis: { url: `redis://127.0.0.1:${port}` } });
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/ECONNREFUSED|refused/);
  });
});
