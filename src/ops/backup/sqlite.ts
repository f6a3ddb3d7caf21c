/**
 * SQLite backups with the online backup API (better-sqlite3 `db.backup`): a consistent copy while
 * the application keeps writing. Restore replaces the file atomically (rename in the same folder).
 */
import { chmod, chown, copyFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SqliteBackupJob } from '../../config/backup-schema.js';
import { UserError } from '../../core/errors.js';
import type { BackupEngine, CheckResult } from './types.js';

function openReadonly(file: string): Database.Database {
  try {
    return new Database(file, { readonly: true, fileMustExist: true, timeout: 10_000 });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'SQLITE_CANTOPEN') throw new UserError('not_found', `SQLite database ${file} does not exist or cannot be opened`);
    throw new UserError('failed', `SQLite database ${file} cannot be opened: ${(e as Error).message}`);
  }
}

export function sqliteIntegrity(file: string): CheckResult {
  let db: Database.Database | undefined;
  try {
    db = openReadonly(file);
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    if (problems.length) throw new UserError('failed', `PRAGMA integrity_check: ${problems.slice(0, 3).join('; ')}`);
    const tables = (db.prepare("select count(*) as n from sqlite_master where type = 'table'").get() as { n: number }).n;
    return { detail: `integrity_check ok, ${tables} table${tables === 1 ? '' : 's'}`, figures: { tables } };
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError('failed', `not a valid SQLite database: ${(e as Error).message}`);
  } finally {
    db?.close();
  }
}

export const sqliteEngine: BackupEngine<SqliteBackupJob> = {
  kind: 'sqlite',
  extension: () => 'sqlite',

  async dump(job, from, ctx) {
    const file = from === 'source' ? job.source : (job.restoreTo ?? job.source);
    const artifact = path.join(ctx.workDir, 'backup.sqlite');
    const db = openReadonly(file);
    try {
      // After the first step copy everything remaining at once: a writer in between restarts the
      // copy, so one big step cannot be starved by a busy application.
      await db.backup(artifact, { progress: () => 0x7fffffff });
    } catch (e) {
      throw new UserError('failed', `SQLite online backup of ${file} failed: ${(e as Error).message}`);
    } finally {
      db.close();
    }
    const { size } = await stat(artifact);
    return { artifact, figures: { databaseBytes: size } };
  },

  async check(_job, artifact) {
    return sqliteIntegrity(artifact);
  },

  async restore(job, artifact) {
    const target = job.restoreTo ?? job.source;
    const staged = `${target}.opsbot-restore`;
    const notes: string[] = [];
    const before = await stat(target).catch(() => undefined);
    await copyFile(artifact, staged);
    try {
      // The application must be able to open the restored file as it could the old one.
      if (before) {
        await chmod(staged, before.mode & 0o7777);
        await chown(staged, before.uid, before.gid).catch(() => {
          notes.push(`Could not give the file its previous owner (uid ${before.uid}, gid ${before.gid}): check its ownership.`);
        });
      }
      sqliteIntegrity(staged);
      await rename(staged, target);
    } catch (e) {
      await rm(staged, { force: true });
      throw e;
    }
    // Journal files of the replaced database must not be applied to the restored one.
    for (const suffix of ['-wal', '-shm', '-journal']) await rm(`${target}${suffix}`, { force: true });
    return {
      detail: `replaced ${target} atomically${before ? ' (mode and owner kept)' : ''}`,
      notes: [...notes, 'An application that keeps the old file open still sees the old database: restart it.'],
    };
  },

  restoreTargetOf: (job) => job.restoreTo ?? job.source,
  restoreMethod: (job) => `replace the SQLite file ${job.restoreTo ?? job.source} atomically (integrity-checked copy renamed over it; its -wal/-shm removed)`,
};
