/** The coordination contract on a real redis-server (two connections = two replicas), and its failure path. */
import { expect, it } from '@jest/globals';
import { RedisCoordination } from '../../src/core/coordination/redis.js';
import { describeWithServers, freePort } from '../support/servers.js';
import { startRedis } from '../support/redis.js';
import { coordinationContract } from '../support/coordination-contract.js';

describeWithServers(['redis-server'], 'Redis coordination (real redis-server)', () => {
  // Redis keeps its own time: the contract sleeps for real, in units of 150 ms.
  coordinationContract('Redis', async () => {
    const redis = await startRedis();
    const a = await RedisCoordination.connect(redis.url);
    const b = await RedisCoordination.connect(redis.url);
    return {
      a, b,
      advance: (ms) => new Promise((r) => setTimeout(r, ms)),
      close: async () => { await a.close(); await b.close(); await redis.stop(); },
    };
  }, 150);

  it('given nothing listens, when connecting, then a clear error', async () => {
    const port = await freePort();
    await expect(RedisCoordination.connect(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 500 })).rejects.toThrow(/cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+/);
  });
});
