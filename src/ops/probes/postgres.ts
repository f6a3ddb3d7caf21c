/** PostgreSQL readiness, like `pg_isready`: connect and `SELECT 1` within the check's timeout. */
import type pg from 'pg';
import type * as PgDriver from 'pg';
import { lazyRequire } from '../../core/lazy-require.js';
import type { z } from 'zod';
import type { postgresProbeSchema } from '../../config/probe-schemas.js';
import { displayUrl, safeError, scrubberFor } from '../connection-url.js';
import type { Probe } from './types.js';

const pgDriver = lazyRequire<typeof PgDriver>('pg');

export type PostgresProbeConfig = z.infer<typeof postgresProbeSchema>;

/** A pg client bounded everywhere: connecting, each statement, and the server-side statement. */
export function boundedClient(url: string, timeoutMs: number, applicationName = 'opsbot-probe'): pg.Client {
  return new (pgDriver().Client)({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    application_name: applicationName,
  });
}

/** pg_isready's words for what went wrong. */
export function readinessWords(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === '57P03') return 'rejecting connections (the server is starting up or shutting down)';
  if (code === 'ECONNREFUSED') return 'no response (connection refused)';
  if (code === '28P01' || code === '28000') return 'authentication failed';
  if (code === '3D000') return 'database does not exist';
  return '';
}

export const postgresProbe: Probe<PostgresProbeConfig> = async (cfg, ctx) => {
  const scrub = scrubberFor(cfg.url);
  const where = displayUrl(cfg.url);
  const client = boundedClient(cfg.url, ctx.timeoutMs);
  client.on('error', () => undefined);
  const onAbort = () => void client.end().catch(() => undefined);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const started = performance.now();
  try {
    await client.connect();
    const r = await client.query<{ ok: number; version: string }>("SELECT 1 AS ok, current_setting('server_version') AS version");
    const ms = Math.round(performance.now() - started);
    if (r.rows[0]?.ok !== 1) return { status: 'fail', detail: `${where}: SELECT 1 returned ${JSON.stringify(r.rows[0])}` };
    const version = r.rows[0].version;
    return { status: 'ok', detail: `${where}: accepting connections, SELECT 1 in ${ms}ms (PostgreSQL ${version})`, data: { latencyMs: ms, version } };
  } catch (e) {
    const words = readinessWords(e);
    const why = ctx.signal.aborted ? `no response within ${ctx.timeoutMs}ms` : words ? `${words}: ${safeError(e, scrub)}` : safeError(e, scrub);
    return { status: 'fail', detail: `${where}: ${why}` };
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await client.end().catch(() => undefined);
  }
};
