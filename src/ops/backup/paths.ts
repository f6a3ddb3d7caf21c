/**
 * Backup ids and file locations. An id typed in chat is checked against a strict pattern and only
 * ever used to look a record up; every path is built from config and then checked to be inside
 * the job's destination (after resolving symlinks) before anything reads, writes or deletes it.
 */
import { randomBytes } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../core/errors.js';

/** `db-20261124-092512-3fa1`: job name, UTC date and time, 4 random hex digits. */
export const BACKUP_ID = /^[a-z0-9][a-z0-9-]{0,31}-\d{8}-\d{6}-[0-9a-f]{4}$/;

export function isBackupId(s: string): boolean {
  return BACKUP_ID.test(s);
}

export function assertBackupId(s: string): string {
  if (!isBackupId(s)) {
    throw new UserError('invalid', `"${s.slice(0, 80).replace(/[\r\n\t]/g, ' ')}" is not a backup id (they look like db-20261124-092512-3fa1; see \`backup list <target>\`)`);
  }
  return s;
}

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

export function newBackupId(job: string, at: Date): string {
  return `${job}-${stamp(at)}-${randomBytes(2).toString('hex')}`;
}

/** `<destination>/<target>_<id>.<ext>[.gz]` (safety copies under `<destination>/safety/`). */
export function backupFilePath(destination: string, target: string, id: string, extension: string, gzip: boolean, safety = false): string {
  const dir = safety ? path.join(destination, 'safety') : destination;
  return path.join(dir, `${target}_${id}.${extension}${gzip ? '.gz' : ''}`);
}

/** True when `p` is strictly inside `dir` (lexically). */
export function isInside(dir: string, p: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(p));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * Checks that an existing file lies inside the destination, also after resolving symlinks;
 * returns its real path. Refuses anything else.
 */
export async function containedFile(destination: string, p: string): Promise<string> {
  if (!isInside(destination, p)) throw new UserError('denied', `refusing ${p}: it is not inside the backup folder ${destination}`);
  let realDir: string;
  let realFile: string;
  try {
    realDir = await realpath(destination);
    realFile = await realpath(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError('not_found', `the backup file ${path.basename(p)} is missing from ${destination}`);
    throw e;
  }
  if (!isInside(realDir, realFile)) throw new UserError('denied', `refusing ${p}: it resolves outside the backup folder ${destination}`);
  return realFile;
}
