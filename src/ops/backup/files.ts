/**
 * Files backups: a tar of the configured paths (relative to source.dir), gzip-compressed by the
 * runner, like the Linguamate config and log backups. Restore extracts into restoreTo (default
 * source.dir); tar refuses absolute and `..` entries.
 */
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import type { FilesBackupJob } from '../../config/backup-schema.js';
import { UserError } from '../../core/errors.js';
import type { BackupEngine } from './types.js';

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

export const filesEngine: BackupEngine<FilesBackupJob> = {
  kind: 'files',
  extension: () => 'tar',

  async dump(job, from, ctx) {
    const dir = from === 'source' ? job.source.dir : (job.restoreTo ?? job.source.dir);
    const artifact = path.join(ctx.workDir, 'backup.tar');
    const present: string[] = [];
    for (const p of job.source.paths) if (await exists(path.join(dir, p))) present.push(p);
    const missing = job.source.paths.filter((p) => !present.includes(p));
    if (from === 'source' && missing.length) {
      throw new UserError('not_found', `files to back up are missing in ${dir}: ${missing.join(', ')}`);
    }
    let files = 0;
    let bytes = 0;
    if (present.length === 0) throw new UserError('not_found', `none of ${job.source.paths.join(', ')} exist in ${dir}`);
    {
      await tar.create({
        file: artifact, cwd: dir, portable: true, strict: true,
        filter: (_p, st) => { if ('isFile' in st && st.isFile()) { files += 1; bytes += st.size; } return true; },
      }, present);
    }
    return { artifact, figures: { files, bytes } };
  },

  async check(_job, artifact) {
    let entries = 0;
    let files = 0;
    let bytes = 0;
    const unsafe: string[] = [];
    await tar.t({
      file: artifact, strict: true,
      onReadEntry: (e) => {
        entries += 1;
        if (e.type === 'File') { files += 1; bytes += e.size ?? 0; }
        if (path.isAbsolute(e.path) || e.path.split('/').includes('..')) unsafe.push(e.path);
      },
    }).catch((e: Error) => { throw new UserError('failed', `tar listing failed: ${e.message}`); });
    if (unsafe.length) throw new UserError('failed', `tar holds entries outside its folder: ${unsafe.slice(0, 3).join(', ')}`);
    return { detail: `tar listed, ${entries} entries, ${files} files (${bytes} bytes)`, figures: { entries, files, bytes } };
  },

  async restore(job, artifact) {
    const dir = job.restoreTo ?? job.source.dir;
    await mkdir(dir, { recursive: true });
    let files = 0;
    await tar.x({ file: artifact, cwd: dir, strict: true, preservePaths: false, onReadEntry: () => { files += 1; } });
    return { detail: `extracted ${files} entries into ${dir}`, notes: ['Files that are not in the backup were left as they are.'] };
  },

  restoreTargetOf: (job) => job.restoreTo ?? job.source.dir,
  restoreMethod: (job) => `extract the tar into ${job.restoreTo ?? job.source.dir} (overwriting the files it contains: ${job.source.paths.join(', ')})`,
};
