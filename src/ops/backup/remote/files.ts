/**
 * Files backups of a folder on an SSH host: `tar -cf - -C <dir> -- <paths>` runs there and its
 * output streams into the bot's artifact, which is then listed and checked like a local one.
 * Restore streams the tar back to `tar -xf - -C <dir>` on the host (GNU tar refuses absolute and
 * `..` members; the bot's check refuses such archives before that).
 */
import path from 'node:path';
import type { FilesBackupJob } from '../../../config/backup-schema.js';
import { UserError } from '../../../core/errors.js';
import type { HostExec } from '../../hosts/index.js';
import { filesEngine } from '../files.js';
import type { BackupEngine } from '../types.js';
import { onHost, streamFromHost, streamToHost } from './stream.js';

/** Prints each of the paths (after the folder) that does not exist in the folder. A fixed script; the paths are its arguments. */
const MISSING = 'cd -- "$1" || exit 2; shift; for p do [ -e "$p" ] || [ -L "$p" ] || printf "%s\\n" "$p"; done';

export function remoteFilesEngine(host: HostExec): BackupEngine<FilesBackupJob> {
  const where = (dir: string) => `${host.host}:${dir}`;
  return {
    kind: 'files',
    extension: () => 'tar',

    async dump(job, from, ctx) {
      const dir = from === 'source' ? job.source.dir : (job.restoreTo ?? job.source.dir);
      const artifact = path.join(ctx.workDir, 'backup.tar');
      const r = await host.exec(['sh', '-c', MISSING, 'sh', dir, ...job.source.paths], { timeoutMs: ctx.timeoutMs, signal: ctx.signal });
      if (r.code === 2 && from === 'source') throw new UserError('not_found', `the folder ${where(dir)} does not exist`);
      const missing = r.code === 0 ? r.stdout.split('\n').filter(Boolean) : job.source.paths;
      if (r.code !== 0 && r.code !== 2) throw new UserError('failed', `checking the files in ${where(dir)} failed: ${r.stderr.trim().slice(0, 300)}`);
      if (from === 'source' && missing.length) throw new UserError('not_found', `files to back up are missing in ${where(dir)}: ${missing.join(', ')}`);
      const present = job.source.paths.filter((p) => !missing.includes(p));
      if (present.length === 0) throw new UserError('not_found', `none of ${job.source.paths.join(', ')} exist in ${where(dir)}`);
      await streamFromHost(host, ['tar', '-cf', '-', '-C', dir, '--', ...present], artifact, ctx, `tar of ${dir}`);
      const listed = await filesEngine.check(job, artifact, ctx);
      return { artifact, figures: { files: listed.figures.files ?? 0, bytes: listed.figures.bytes ?? 0, host: host.host } };
    },

    check: (job, artifact, ctx) => filesEngine.check(job, artifact, ctx),

    async restore(job, artifact, ctx) {
      const dir = job.restoreTo ?? job.source.dir;
      await filesEngine.check(job, artifact, ctx);
      await onHost(host, ['mkdir', '-p', '--', dir], ctx, `creating ${dir}`);
      await streamToHost(host, ['tar', '-xf', '-', '-C', dir], artifact, ctx, `extracting into ${dir}`);
      return { detail: `extracted the tar into ${where(dir)}`, notes: ['Files that are not in the backup were left as they are.'] };
    },

    restoreTargetOf: (job) => where(job.restoreTo ?? job.source.dir),
    restoreMethod: (job) => `stream the tar to ${host.host} (${host.describe}) and extract it into ${job.restoreTo ?? job.source.dir} (overwriting the files it contains: ${job.source.paths.join(', ')})`,
  };
}
