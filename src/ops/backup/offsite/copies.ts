/**
 * Off-site copies of verified backups: upload, check (size and the stored SHA-256, optionally a
 * full read-back; never the ETag), retention in the bucket, and the download a restore needs
 * when the local file is gone. Each result is written to the backup's catalog record.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { BackupJob } from '../../../config/backup-schema.js';
import { UserError, errorMessage } from '../../../core/errors.js';
import type { BackupCatalog } from '../catalog.js';
import { expiredBackups } from '../retention.js';
import type { BackupRecord } from '../types.js';
import type { OffsiteStore } from './types.js';

export interface OffsiteDeps {
  catalog: BackupCatalog;
  storeOf: (job: BackupJob) => OffsiteStore;
  now: () => Date;
}

export interface OffsiteStep {
  name: string;
  ok: boolean;
  detail: string;
}

const short = (sha: string) => `${sha.slice(0, 12)}…`;

/** Copies one verified backup and checks the copy; a failure is a failed step, never a thrown error. */
export async function copyOffsite(deps: OffsiteDeps, job: BackupJob, rec: BackupRecord, signal?: AbortSignal): Promise<OffsiteStep> {
  try {
    const store = deps.storeOf(job);
    const key = store.keyOf(rec.target, path.basename(rec.path));
    await store.put(rec.path, key, { size: rec.size, sha256: rec.checksum }, signal);
    const head = await store.head(key, signal);
    if (!head) throw new UserError('failed', `the object ${key} is not there after its upload`);
    if (head.size !== rec.size) throw new UserError('failed', `the stored object has ${head.size} bytes, the backup ${rec.size}`);
    if (head.sha256 !== rec.checksum) throw new UserError('failed', `the stored SHA-256 ${head.sha256 ? short(head.sha256) : '(none)'} differs from the backup's ${short(rec.checksum)}`);
    let how = `size ${rec.size} and stored sha256 ${short(rec.checksum)} match`;
    if (job.offsite?.readBack) {
      const back = await store.hashObject(key, signal);
      if (back.sha256 !== rec.checksum || back.size !== rec.size) throw new UserError('failed', `reading the object back gave sha256 ${short(back.sha256)} (${back.size} bytes), the backup has ${short(rec.checksum)}`);
      how += ', read back and hashed';
    }
    const copy = { url: store.urlOf(key), bucket: store.bucket, key, size: rec.size, sha256: rec.checksum, uploadedAt: deps.now(), ...(job.offsite?.sse ? { sse: job.offsite.sse } : {}) };
    await deps.catalog.update(rec._id, { offsite: copy, offsiteError: '' });
    rec.offsite = copy;
    return { name: 'off-site copy', ok: true, detail: `${copy.url}: ${how}${copy.sse ? `, encrypted (${copy.sse})` : ''}` };
  } catch (e) {
    const error = errorMessage(e);
    await deps.catalog.update(rec._id, { offsiteError: error });
    return { name: 'off-site copy', ok: false, detail: error };
  }
}

/** Whether a record's off-site copy is (still) there by the catalog. */
export function hasOffsite(rec: BackupRecord): boolean {
  return !!rec.offsite && !rec.offsite.deletedAt;
}

/**
 * Retention in the bucket: the job's offsite.retention (default: its own). Expired objects are
 * deleted; a record whose local file is gone too leaves the catalog. Returns the records whose
 * copies were deleted, and the errors of those that could not be.
 */
export async function offsiteRetention(deps: OffsiteDeps, target: string, job: BackupJob, protect: string[], signal?: AbortSignal): Promise<{ deleted: BackupRecord[]; errors: string[] }> {
  const policy = job.offsite?.retention ?? job.retention;
  const copies = (await deps.catalog.list(target, { job: job.name, status: 'ok', safety: false })).filter(hasOffsite);
  const expired = expiredBackups(copies, policy, deps.now(), protect);
  const deleted: BackupRecord[] = [];
  const errors: string[] = [];
  for (const rec of expired) {
    const copy = rec.offsite as NonNullable<BackupRecord['offsite']>;
    try {
      await deps.storeOf(job).remove(copy.key, signal);
    } catch (e) {
      errors.push(`${rec._id}: ${errorMessage(e)}`);
      continue;
    }
    if (rec.localDeleted) await deps.catalog.remove(rec._id);
    else await deps.catalog.update(rec._id, { offsite: { ...copy, deletedAt: deps.now() } });
    deleted.push(rec);
  }
  return { deleted, errors };
}

/** Brings a backup whose local file is gone back from its off-site copy, checked against the stored and the catalog SHA-256. */
export async function fetchOffsite(deps: OffsiteDeps, job: BackupJob, rec: BackupRecord, signal?: AbortSignal): Promise<string> {
  if (!hasOffsite(rec) || !job.offsite) throw new UserError('not_found', `the backup file ${path.basename(rec.path)} is missing from ${job.destination} and there is no off-site copy of it`);
  const copy = rec.offsite as NonNullable<BackupRecord['offsite']>;
  const store = deps.storeOf(job);
  const head = await store.head(copy.key, signal);
  if (!head) throw new UserError('not_found', `the backup file is missing locally and its off-site copy ${copy.url} is gone too`);
  if (head.sha256 !== rec.checksum) throw new UserError('failed', `the off-site copy ${copy.url} carries sha256 ${head.sha256 ? short(head.sha256) : '(none)'}, the catalog ${short(rec.checksum)}: not restored`);
  await mkdir(path.dirname(rec.path), { recursive: true, mode: 0o700 });
  const got = await store.download(copy.key, rec.path, signal);
  if (got.sha256 !== rec.checksum || got.size !== rec.size) {
    throw new UserError('failed', `the download of ${copy.url} has sha256 ${short(got.sha256)} (${got.size} bytes), the backup ${short(rec.checksum)} (${rec.size} bytes): not restored`);
  }
  await deps.catalog.update(rec._id, { localDeleted: false });
  rec.localDeleted = false;
  return `fetched from ${copy.url} (the local file was gone), sha256 ${short(got.sha256)} matches`;
}
