import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeWithServers } from '../support/servers.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { tcpOpen } from '../support/servers.js';

describeWithServers(['initdb', 'postgres', 'psql'], 'test support: PostgreSQL', () => {
  let pg: PostgresServer;
  beforeAll(async () => { pg = await startPostgres(); }, 60_000);
  afterAll(async () => { await pg?.stop(); });

  it('given a started cluster, when queried, then it answers on loopback', async () => {
    await pg.psql('create table t (id int); insert into t values (1), (2);');
    expect(await pg.psql('select count(*) from t')).toBe('2');
  });
});

describeWithServers(['redis-server'], 'test support: Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => { redis = await startRedis(); });
  afterAll(async () => { await redis?.stop(); });

  it('given a started redis-server, then its port is open', async () => {
    expect(await tcpOpen(redis.port)).toBe(true);
  });
});
