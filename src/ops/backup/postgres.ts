/**
 * PostgreSQL backups with `pg_dump --format=custom` and restores with `pg_restore --clean`, both
 * through execFile with argument arrays and a timeout. The password travels in PGPASSWORD, never
 * on the command line; the URL passed as --dbname has it removed.
 */
import path from 'node:path';
import type { PostgresBackupJob } from '../../config/backup-schema.js';
import { runTool } from './exec.js';
import type { BackupEngine } from './types.js';

export interface PgConnection {
  /** Connection URL without the password. */
  dbname: string;
  env: Record<string, string>;
  /** `user@host:port/db`, for messages. */
  label: string;
}

export function pgConnection(url: string): PgConnection {
  const u = new URL(url);
  // libpq also takes the password as a parameter (`?password=`): neither form stays on the command line.
  // Read and kept as libpq does (percent-decoding only; URLSearchParams would turn "+" into a space).
  const params = u.search.slice(1).split('&').filter(Boolean);
  const param = params.find((kv) => kv.startsWith('password='));
  const password = decodeURIComponent(u.password) || (param ? decodeURIComponent(param.slice('password='.length)) : '');
  u.password = '';
  u.search = params.filter((kv) => kv !== param).join('&');
  const env: Record<string, string> = { PGCONNECT_TIMEOUT: '10' };
  if (password) env.PGPASSWORD = password;
  const db = decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres';
  return { dbname: u.toString(), env, label: `${decodeURIComponent(u.username) || '(default user)'}@${u.hostname}${u.port ? `:${u.port}` : ''}/${db}` };
}

/** Entries and tables with data in `pg_restore --list` output. */
export function countToc(list: string): { entries: number; tables: number } {
  const lines = list.split('\n').filter((l) => l.trim() && !l.startsWith(';'));
  return { entries: lines.length, tables: lines.filter((l) => / TABLE DATA /.test(l)).length };
}

export const postgresEngine: BackupEngine<PostgresBackupJob> = {
  kind: 'postgres',
  extension: () => 'dump',

  async dump(job, from, ctx) {
    const conn = pgConnection(from === 'source' ? job.source : (job.restoreTo ?? job.source));
    const artifact = path.join(ctx.workDir, 'backup.dump');
    const args = ['--format=custom', '--no-password', `--file=${artifact}`, `--dbname=${conn.dbname}`];
    // The stored file is gzip-compressed by opsbot; compressing inside too would only cost CPU.
    if (job.compression === 'gzip') args.splice(1, 0, '--compress=0');
    await runTool(job.pgDump, args, { timeoutMs: ctx.timeoutMs, signal: ctx.signal, path: ctx.toolPath, env: conn.env });
    const { stdout } = await runTool(job.pgRestore, ['--list', artifact], { timeoutMs: ctx.timeoutMs, signal: ctx.signal, path: ctx.toolPath });
    const toc = countToc(stdout);
    return { artifact, figures: { tocEntries: toc.entries, tables: toc.tables } };
  },

  async check(job, artifact, ctx) {
    const { stdout } = await runTool(job.pgRestore, ['--list', artifact], { timeoutMs: ctx.timeoutMs, signal: ctx.signal, path: ctx.toolPath });
    const toc = countToc(stdout);
    return { detail: `pg_restore --list ok, ${toc.entries} entries, ${toc.tables} tables with data`, figures: { tocEntries: toc.entries, tables: toc.tables } };
  },

  async restore(job, artifact, ctx) {
    const conn = pgConnection(job.restoreTo ?? job.source);
    await runTool(job.pgRestore, [
      '--clean', '--if-exists', '--no-owner', '--single-transaction', '--exit-on-error', '--no-password',
      `--dbname=${conn.dbname}`, artifact,
    ], { timeoutMs: ctx.timeoutMs, signal: ctx.signal, path: ctx.toolPath, env: conn.env });
    return { detail: `pg_restore --clean into ${conn.label} (one transaction)` };
  },

  restoreTargetOf: (job) => pgConnection(job.restoreTo ?? job.source).label,
  restoreMethod: (job) => `pg_restore --clean --if-exists --single-transaction into ${pgConnection(job.restoreTo ?? job.source).label}`,
};
