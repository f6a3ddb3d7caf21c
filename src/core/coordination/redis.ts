/**
 * Coordination across replicas on Redis (`REDIS_URL`): locks are `SET NX PX` with a token and a
 * compare-and-delete release; `once` is `SET NX PX`; rate limits are a sliding window in a sorted
 * set, checked and counted atomically in one Lua script.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type * as RedisDriver from 'ioredis';
import { lazyRequire } from '../lazy-require.js';

const ioredis = lazyRequire<typeof RedisDriver>('ioredis');
import type { Coordination, Lock, RateDecision } from './types.js';

const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

// KEYS[1] window key; ARGV: now, window, limit, member. Returns {allowed, retryAfterMs}.
const RATE = `
local now = tonumber(ARGV[1]); local window = tonumber(ARGV[2]); local limit = tonumber(ARGV[3])
redis.call('zremrangebyscore', KEYS[1], '-inf', now - window)
local count = redis.call('zcard', KEYS[1])
if count >= limit then
  local oldest = redis.call('zrange', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, math.max(1, tonumber(oldest[2]) + window - now)}
end
redis.call('zadd', KEYS[1], now, ARGV[4])
redis.call('pexpire', KEYS[1], window)
return {1, 0}`;

export class RedisCoordination implements Coordination {
  readonly kind = 'redis' as const;

  private constructor(private readonly redis: Redis, private readonly prefix: string) {}

  static async connect(url: string, opts: { prefix?: string; connectTimeoutMs?: number } = {}): Promise<RedisCoordination> {
    const redis = new (ioredis().Redis)(url, {
      lazyConnect: true,
      connectTimeout: opts.connectTimeoutMs ?? 5000,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
    });
    try {
      await redis.connect();
      await redis.ping();
    } catch (e) {
      redis.disconnect();
      throw new Error(`cannot reach Redis at ${url.replace(/\/\/[^@/]*@/, '//[redacted]@')}: ${(e as Error).message}`);
    }
    return new RedisCoordination(redis, opts.prefix ?? 'opsbot:');
  }

  async tryLock(key: string, ttlMs: number): Promise<Lock | null> {
    const k = `${this.prefix}lock:${key}`;
    const token = randomUUID();
    const ok = await this.redis.set(k, token, 'PX', Math.max(1, Math.round(ttlMs)), 'NX');
    if (ok !== 'OK') return null;
    return {
      key,
      extend: async (ms: number) => (await this.redis.eval(EXTEND, 1, k, token, Math.max(1, Math.round(ms)))) === 1,
      release: async () => { await this.redis.eval(RELEASE, 1, k, token); },
    };
  }

  async once(key: string, ttlMs: number): Promise<boolean> {
    const ok = await this.redis.set(`${this.prefix}once:${key}`, '1', 'PX', Math.max(1, Math.round(ttlMs)), 'NX');
    return ok === 'OK';
  }

  async rateLimit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    const [allowed, retryAfterMs] = (await this.redis.eval(RATE, 1, `${this.prefix}rate:${key}`, Date.now(), windowMs, limit, randomUUID())) as [number, number];
    return { allowed: allowed === 1, retryAfterMs: Number(retryAfterMs) };
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
