/** MongoDB probe: `ping` through the official driver, bounded by a server-selection timeout. */
import type { MongoClient } from 'mongodb';
import type * as MongoDriver from 'mongodb';
import { lazyRequire } from '../../core/lazy-require.js';

const mongodb = lazyRequire<typeof MongoDriver>('mongodb');
import type { z } from 'zod';
import type { mongoProbeSchema } from '../../config/probe-schemas.js';
import { displayUrl, safeError, scrubberFor } from '../connection-url.js';
import type { Probe } from './types.js';

export type MongoProbeConfig = z.infer<typeof mongoProbeSchema>;

export const mongoProbe: Probe<MongoProbeConfig> = async (cfg, ctx) => {
  const scrub = scrubberFor(cfg.url);
  const where = displayUrl(cfg.url);
  // Leave a little of the check's budget for closing the client.
  const budget = Math.max(100, Math.floor(ctx.timeoutMs * 0.8));
  const started = performance.now();
  let client: MongoClient | undefined;
  try {
    client = new (mongodb().MongoClient)(cfg.url, {
      serverSelectionTimeoutMS: budget,
      connectTimeoutMS: budget,
      socketTimeoutMS: budget,
      maxPoolSize: 1,
      retryReads: false,
      appName: 'opsbot-probe',
    });
    const db = cfg.database ? client.db(cfg.database) : client.db();
    await db.command({ ping: 1 });
    const ms = Math.round(performance.now() - started);
    return { status: 'ok', detail: `${where}: ping ok in ${ms}ms`, data: { latencyMs: ms } };
  } catch (e) {
    const name = (e as Error).name;
    const why = name === 'MongoServerSelectionError'
      ? `no server reachable within ${budget}ms (${safeError(e, scrub)})`
      : ctx.signal.aborted ? `no answer within ${ctx.timeoutMs}ms` : safeError(e, scrub);
    return { status: 'fail', detail: `${where}: ${why}` };
  } finally {
    await client?.close(true).catch(() => undefined);
  }
};
