/** The coordination contract on a real redis-server, including two "replicas" racing. */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { RedisCoordination } from '../../src/core/coordination/redis.js';
import { describeWithServers, freePort } from '../support/servers.js';
import { startRedis, type RedisServer } from '../support/redis.js';

describeWithServers(['redis-server'], 'Redis coordination (real redis-server)', () => {
  let redis: RedisServer;
  let a: RedisCoordination;
  let b: RedisCoordination;
  beforeAll(async () => {
    redis = await startRedis();
    a = await RedisCoordination.connect(redis.url);
    b = await RedisCoordination.connect(redis.url);
  });
  afterAll(async () => { await a?.close(); await b?.close(); await redis?.stop(); });

  it('given two replicas, when both try the same lock, then exactly one gets it; release frees it', async () => {
    const [la, lb] = await Promise.all([a.tryLock('restart:web', 5000), b.tryLock('restart:web', 5000)]);
    expect([la, lb].filter(Boolean)).toHaveLength(1);
    await (la ?? lb)?.release();
    expect(await b.tryLock('restart:web', 5000)).not.toBeNull();
  });

  it('a stale holder cannot release a lock that expired and was taken again', async () => {
    const first = await a.tryLock('k1', 50);
    await new Promise((r) => setTimeout(r, 80));
    const second = await b.tryLock('k1', 5000);
    expect(second).not.toBeNull();
    await first?.release();
    expect(await a.tryLock('k1', 5000)).toBeNull();
  });

  it('once: of 20 concurrent deliveries of one webhook across replicas, one wins', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).once('webhook:g1:abc', 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('rateLimit shares one window across replicas and says when the next slot frees', async () => {
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push(await (i % 2 ? a : b).rateLimit('channel:C1', 3, 1000));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
    expect(decisions[3]?.retryAfterMs).toBeGreaterThan(0);
    expect(decisions[3]?.retryAfterMs).toBeLessThanOrEqual(1000);
  });

  it('given nothing listens, when connecting, then a clear error', async () => {
    const port = await freePort();
    await expect(RedisCoordination.connect(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 500 })).rejects.toThrow(/cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+/);
  });
});
