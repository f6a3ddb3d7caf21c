/**
 * SQLite backups of a database file on an SSH host: `sqlite3 -readonly <file> ".backup <tmp>"`
 * (the online backup API, as the local engine uses) into a scratch folder there, streamed to the
 * bot with `cat`; the bot then checks the copy like any other. Restore streams the artifact to a
 * staged file next to the target, checks it there with `PRAGMA integrity_check`, gives it the
 * target's mode and owner and renames it over the target.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { SqliteBackupJob } from '../../../config/backup-schema.js';
import { UserError } from '../../../core/errors.js';
import type { HostExec } from '../../hosts/index.js';
import { sqliteIntegrity } from '../sqlite.js';
import type { BackupEngine } from '../types.js';
import { onHost, remoteTempDir, streamFromHost, streamToHost } from './stream.js';

export function remoteSqliteEngine(host: HostExec): BackupEngine<SqliteBackupJob> {
  const where = (file: string) => `${host.host}:${file}`;
  return {
    kind: 'sqlite',
    extension: () => 'sqlite',

    async dump(job, from, ctx) {
      const file = from === 'source' ? job.source : (job.restoreTo ?? job.source);
      const artifact = path.join(ctx.workDir, 'backup.sqlite');
      const tmp = await remoteTempDir(host, ctx);
      try {
        const copy = `${tmp.dir}/backup.sqlite`;
        await onHost(host, ['sqlite3', '-bail', '-readonly', file, `.backup '${copy}'`], ctx, `SQLite online backup of ${file}`);
        await streamFromHost(host, ['cat', '--', copy], artifact, ctx, `copying the backup of ${file}`);
      } finally {
        await tmp.remove();
      }
      const { size } = await stat(artifact);
      return { artifact, figures: { databaseBytes: size, host: host.host } };
    },

    async check(_job, artifact) {
      return sqliteIntegrity(artifact);
    },

    async restore(job, artifact, ctx) {
      const target = job.restoreTo ?? job.source;
      const staged = `${target}.opsbot-restore`;
      const notes: string[] = [];
      await streamToHost(host, ['sh', '-c', 'cat > "$1"', 'sh', staged], artifact, ctx, `uploading ${staged}`);
      try {
        const integrity = (await onHost(host, ['sqlite3', '-bail', '-readonly', staged, 'PRAGMA integrity_check'], ctx, `checking ${staged}`)).trim();
        if (integrity !== 'ok') throw new UserError('failed', `PRAGMA integrity_check of ${where(staged)}: ${integrity.split('\n').slice(0, 3).join('; ')}`);
        const existed = (await host.exec(['test', '-e', target], { timeoutMs: ctx.timeoutMs, signal: ctx.signal })).code === 0;
        if (existed) {
          await onHost(host, ['chmod', `--reference=${target}`, '--', staged], ctx, 'keeping the file mode');
          const own = await host.exec(['chown', `--reference=${target}`, '--', staged], { timeoutMs: ctx.timeoutMs, signal: ctx.signal });
          if (own.code !== 0) notes.push(`Could not give ${where(target)} its previous owner: check its ownership.`);
        }
        await onHost(host, ['mv', '-f', '--', staged, target], ctx, `replacing ${target}`);
      } catch (e) {
        await host.exec(['rm', '-f', '--', staged], { timeoutMs: 30_000 }).catch(() => undefined);
        throw e;
      }
      // Journal files of the replaced database must not be applied to the restored one.
      await onHost(host, ['rm', '-f', '--', `${target}-wal`, `${target}-shm`, `${target}-journal`], ctx, 'removing the old journal files');
      return {
        detail: `replaced ${where(target)} atomically (integrity-checked on the host)`,
        notes: [...notes, 'An application that keeps the old file open still sees the old database: restart it.'],
      };
    },

    restoreTargetOf: (job) => where(job.restoreTo ?? job.source),
    restoreMethod: (job) => `upload the backup to ${host.host} (${host.describe}) and replace the SQLite file ${job.restoreTo ?? job.source} atomically (integrity-checked there, renamed over it; its -wal/-shm removed)`,
  };
}
