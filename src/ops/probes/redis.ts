/** Redis probe: PING, then used memory and keyspace hit rate from INFO, each with optional thresholds. */
import type * as RedisDriver from 'ioredis';
import { lazyRequire } from '../../core/lazy-require.js';

const ioredis = lazyRequire<typeof RedisDriver>('ioredis');
import type { z } from 'zod';
import type { redisProbeSchema } from '../../config/probe-schemas.js';
import { displayUrl, safeError, scrubberFor } from '../connection-url.js';
import type { Probe, ProbeStatus } from './types.js';

export type RedisProbeConfig = z.infer<typeof redisProbeSchema>;

/** INFO's `key:value` lines → a map (sections and comments dropped). */
export function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1)}${units[u]}`;
}

const RANK: Record<ProbeStatus, number> = { ok: 0, warn: 1, fail: 2 };
const worse = (a: ProbeStatus, b: ProbeStatus): ProbeStatus => (RANK[b] > RANK[a] ? b : a);

export const redisProbe: Probe<RedisProbeConfig> = async (cfg, ctx) => {
  const scrub = scrubberFor(cfg.url);
  const where = displayUrl(cfg.url);
  const client = new (ioredis().Redis)(cfg.url, {
    lazyConnect: true,
    connectTimeout: ctx.timeoutMs,
    commandTimeout: ctx.timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectionName: 'opsbot-probe',
  });
  // The connection's own error says why ("ECONNREFUSED", "WRONGPASS"); the awaited call often only says "Connection is closed".
  let lastError: unknown;
  client.on('error', (e) => { lastError ??= e; });
  const onAbort = () => client.disconnect();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const started = performance.now();
  try {
    await client.connect();
    const pong = await client.ping();
    const latencyMs = Math.round(performance.now() - started);
    if (pong !== 'PONG') return { status: 'fail', detail: `${where}: PING answered ${JSON.stringify(pong)}` };
    const info = parseInfo(await client.info());
    const used = Number(info.get('used_memory') ?? NaN);
    const maxmemory = Number(info.get('maxmemory') ?? 0);
    const hits = Number(info.get('keyspace_hits') ?? 0);
    const misses = Number(info.get('keyspace_misses') ?? 0);
    const lookups = hits + misses;
    const hitRate = lookups > 0 ? (hits / lookups) * 100 : undefined;

    let status: ProbeStatus = 'ok';
    const notes: string[] = [`PONG in ${latencyMs}ms`];
    if (Number.isFinite(used)) {
      let memStatus: ProbeStatus = 'ok';
      if (cfg.maxUsedMemory !== undefined && used >= cfg.maxUsedMemory) memStatus = 'fail';
      else if (cfg.warnUsedMemory !== undefined && used >= cfg.warnUsedMemory) memStatus = 'warn';
      const limit = memStatus === 'fail' ? ` (at or over ${formatBytes(cfg.maxUsedMemory as number)})` : memStatus === 'warn' ? ` (at or over ${formatBytes(cfg.warnUsedMemory as number)})` : '';
      notes.push(`memory ${formatBytes(used)}${maxmemory > 0 ? ` of ${formatBytes(maxmemory)}` : ''}${limit}`);
      status = worse(status, memStatus);
    }
    if (hitRate === undefined || lookups < cfg.minLookups) {
      notes.push(`hit rate n/a (${lookups} lookups)`);
    } else {
      let hitStatus: ProbeStatus = 'ok';
      if (cfg.minHitRate !== undefined && hitRate < cfg.minHitRate) hitStatus = 'fail';
      else if (cfg.warnHitRate !== undefined && hitRate < cfg.warnHitRate) hitStatus = 'warn';
      const limit = hitStatus === 'fail' ? ` (under ${cfg.minHitRate}%)` : hitStatus === 'warn' ? ` (under ${cfg.warnHitRate}%)` : '';
      notes.push(`hit rate ${hitRate.toFixed(1)}%${limit}`);
      status = worse(status, hitStatus);
    }
    return {
      status,
      detail: `${where}: ${notes.join(', ')}`,
      data: {
        latencyMs,
        usedMemoryBytes: used,
        keyspaceHits: hits,
        keyspaceMisses: misses,
        ...(hitRate !== undefined ? { hitRatePercent: Math.round(hitRate * 10) / 10 } : {}),
        ...(info.get('redis_version') ? { version: info.get('redis_version') as string } : {}),
      },
    };
  } catch (e) {
    const cause = lastError ?? e;
    const code = (cause as { code?: string }).code;
    const why = ctx.signal.aborted ? `no answer within ${ctx.timeoutMs}ms` : code === 'ECONNREFUSED' ? 'refused the connection' : safeError(cause, scrub);
    return { status: 'fail', detail: `${where}: ${why}` };
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    client.disconnect();
  }
};
