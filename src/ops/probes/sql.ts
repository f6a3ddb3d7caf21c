/**
 * SQL probe: one read-only query that returns one number, judged by thresholds — StormForge's
 * `SELECT COUNT(*) FROM sync_queue WHERE synced = 0`. Read-only is enforced, not assumed:
 * SQLite is opened read-only and the statement must not write; PostgreSQL runs it as a single
 * prepared statement (no `;`-chained commands) inside `BEGIN READ ONLY` with a statement timeout,
 * and the transaction is rolled back.
 */
import type { z } from 'zod';
import type { sqlProbeSchema } from '../../config/probe-schemas.js';
import { displayUrl, safeError, scrubberFor } from '../connection-url.js';
import { sqliteFileSize, sqliteWords } from '../sqlite-readonly.js';
import { runSqliteJob } from '../sqlite-job.js';
import { boundedClient } from './postgres.js';
import type { Probe, ProbeStatus } from './types.js';

export type SqlProbeConfig = z.infer<typeof sqlProbeSchema>;

export class SqlValueError extends Error {}

/** The single number of a one-row, one-column result. */
export function singleNumber(rows: unknown[]): number {
  if (rows.length !== 1) throw new SqlValueError(`the query returned ${rows.length} rows, expected exactly 1`);
  const row = rows[0] as Record<string, unknown>;
  const values = Object.values(row);
  if (values.length !== 1) throw new SqlValueError(`the query returned ${values.length} columns, expected exactly 1`);
  const v = values[0];
  const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new SqlValueError(`the query returned ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)}, not a number`);
  return n;
}

export function judge(value: number, cfg: Pick<SqlProbeConfig, 'warnAbove' | 'failAbove' | 'warnBelow' | 'failBelow'>): { status: ProbeStatus; why: string } {
  if (cfg.failAbove !== undefined && value > cfg.failAbove) return { status: 'fail', why: `above ${cfg.failAbove}` };
  if (cfg.failBelow !== undefined && value < cfg.failBelow) return { status: 'fail', why: `below ${cfg.failBelow}` };
  if (cfg.warnAbove !== undefined && value > cfg.warnAbove) return { status: 'warn', why: `above ${cfg.warnAbove}` };
  if (cfg.warnBelow !== undefined && value < cfg.warnBelow) return { status: 'warn', why: `below ${cfg.warnBelow}` };
  return { status: 'ok', why: '' };
}

export async function readNumberSqlite(path: string, query: string, timeoutMs: number, signal?: AbortSignal): Promise<number> {
  await sqliteFileSize(path);
  // In a child process: better-sqlite3 is synchronous, and a COUNT over a big table must not block the bot.
  const r = await runSqliteJob(path, { kind: 'number', query }, timeoutMs, signal);
  if (!r.ok) throw new SqlValueError(sqliteWords(r.code, r.message));
  return singleNumber(r.rows);
}

export async function readNumberPostgres(url: string, query: string, timeoutMs: number): Promise<number> {
  const client = boundedClient(url, timeoutMs);
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('BEGIN READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    // Extended protocol: one statement only, so `...; COMMIT; DELETE ...` cannot leave the transaction.
    const r = await client.query({ text: query, queryMode: 'extended' } as never);
    return singleNumber((r as { rows: unknown[] }).rows);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

export const sqlProbe: Probe<SqlProbeConfig> = async (cfg, ctx) => {
  const scrub = scrubberFor(cfg.url);
  const where = cfg.url ? displayUrl(cfg.url) : (cfg.path as string);
  const label = cfg.label ?? 'value';
  const started = performance.now();
  let value: number;
  try {
    value = cfg.url
      ? await readNumberPostgres(cfg.url, cfg.query, ctx.timeoutMs)
      : await readNumberSqlite(cfg.path as string, cfg.query, ctx.timeoutMs, ctx.signal);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = ctx.signal.aborted
      ? `no answer within ${ctx.timeoutMs}ms`
      : code === '25006' ? 'the query would write; only read-only queries are allowed'
        : code === '57014' ? `the query ran longer than ${ctx.timeoutMs}ms and was cancelled`
          : safeError(e, scrub);
    return { status: 'fail', detail: `${where}: ${why}` };
  }
  const ms = Math.round(performance.now() - started);
  const { status, why } = judge(value, cfg);
  return { status, detail: `${label} ${value}${why ? ` (${why})` : ''} in ${ms}ms`, data: { value, latencyMs: ms } };
};
