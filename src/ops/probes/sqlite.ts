/**
 * SQLite probe: the file is there and `PRAGMA integrity_check` (or `quick_check`) says ok. The
 * check runs read-only in a child process, so a large file never blocks the bot and the timeout
 * really stops it.
 */
import type { z } from 'zod';
import type { sqliteProbeSchema } from '../../config/probe-schemas.js';
import { sqliteFileSize, sqliteWords } from '../sqlite-readonly.js';
import { runSqliteJob } from '../sqlite-job.js';
import { formatBytes } from './redis.js';
import type { Probe } from './types.js';

export type SqliteProbeConfig = z.infer<typeof sqliteProbeSchema>;

export const sqliteProbe: Probe<SqliteProbeConfig> = async (cfg, ctx) => {
  let bytes: number;
  try {
    bytes = await sqliteFileSize(cfg.path);
  } catch (e) {
    return { status: 'fail', detail: (e as Error).message };
  }
  const pragma = cfg.check === 'quick' ? 'quick_check' : 'integrity_check';
  const started = performance.now();
  let result;
  try {
    // At most 20 problems: enough to report, bounded for a badly damaged file.
    result = await runSqliteJob(cfg.path, { kind: 'integrity', pragma, maxErrors: 20 }, ctx.timeoutMs, ctx.signal);
  } catch (e) {
    return { status: 'fail', detail: `${cfg.path}: ${pragma} ${(e as Error).message}` };
  }
  const ms = Math.round(performance.now() - started);
  const data = { bytes, checkMs: ms };
  if (!result.ok) return { status: 'fail', detail: `${cfg.path}: ${sqliteWords(result.code, result.message)}`, data };
  const rows = result.rows as string[];
  if (rows.length === 1 && rows[0] === 'ok') {
    return { status: 'ok', detail: `${cfg.path}: ${pragma} ok (${formatBytes(bytes)}, ${ms}ms)`, data };
  }
  return { status: 'fail', detail: `${cfg.path}: ${pragma} found ${rows.length} problem${rows.length === 1 ? '' : 's'}: ${rows.slice(0, 3).join('; ')}`, data };
};
