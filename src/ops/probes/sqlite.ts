/** SQLite probe: the file is there and `PRAGMA integrity_check` (or `quick_check`) says ok. */
import type { z } from 'zod';
import type { sqliteProbeSchema } from '../../config/probe-schemas.js';
import { openSqliteReadOnly } from '../sqlite-readonly.js';
import { formatBytes } from './redis.js';
import type { Probe } from './types.js';

export type SqliteProbeConfig = z.infer<typeof sqliteProbeSchema>;

export const sqliteProbe: Probe<SqliteProbeConfig> = async (cfg, ctx) => {
  let opened;
  try {
    opened = await openSqliteReadOnly(cfg.path, Math.min(ctx.timeoutMs, 2000));
  } catch (e) {
    return { status: 'fail', detail: (e as Error).message };
  }
  const { db, bytes } = opened;
  const started = performance.now();
  try {
    const pragma = cfg.check === 'quick' ? 'quick_check' : 'integrity_check';
    // At most 20 problems: enough to report, bounded for a badly damaged file.
    const rows = db.prepare(`PRAGMA ${pragma}(20)`).pluck().all() as string[];
    const ms = Math.round(performance.now() - started);
    const data = { bytes, checkMs: ms };
    if (rows.length === 1 && rows[0] === 'ok') {
      return { status: 'ok', detail: `${cfg.path}: ${pragma} ok (${formatBytes(bytes)}, ${ms}ms)`, data };
    }
    return { status: 'fail', detail: `${cfg.path}: ${pragma} found ${rows.length} problem${rows.length === 1 ? '' : 's'}: ${rows.slice(0, 3).join('; ')}`, data };
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'SQLITE_NOTADB' ? 'not a SQLite database' : code === 'SQLITE_CORRUPT' ? `corrupt (${(e as Error).message})` : code === 'SQLITE_BUSY' ? 'locked by another process' : (e as Error).message;
    return { status: 'fail', detail: `${cfg.path}: ${why}` };
  } finally {
    db.close();
  }
};
