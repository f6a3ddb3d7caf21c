/** Taking a backup: dump → compress → checksum → verify → retention, one catalog record per run. */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { BackupJob } from '../../../config/backup-schema.js';
import { UserError, errorMessage, isSystemError } from '../../../core/errors.js';
import { storeArtifact } from '../compress.js';
import { engineFor } from '../engines.js';
import { backupFilePath, containedFile, newBackupId } from '../paths.js';
import { expiredBackups } from '../retention.js';
import type { BackupRecord } from '../types.js';
import { jobsOf, offsiteDepsOf, type BackupContext } from './context.js';
import { copyOffsite, hasOffsite, offsiteRetention } from '../offsite/index.js';
import { locked } from './lock.js';
import type { RunReport } from './reports.js';
import { verifyRecord } from './verify.js';
import { engineContext, freshWorkDir, removeQuietly, workDirOf } from './workspace.js';
import type { ProgressFn } from '../../../core/progress.js';

export interface RunOptions {
  by?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Told each step as it starts (dump, compress, verify…). */
  progress?: ProgressFn | undefined;
  /** A safety copy taken before a restore (from the restore target, kept apart, verified on its artifact). */
  safety?: boolean;
  reason?: string;
}

/** `backup run <target> [job]`: each job in turn, under the target's lock. */
export async function runBackups(ctx: BackupContext, target: string, opts: { job?: string; by?: string; signal?: AbortSignal; progress?: ProgressFn } = {}): Promise<RunReport[]> {
  const jobs = jobsOf(ctx, target, opts.job);
  return locked(ctx, target, jobs, async () => {
    const reports: RunReport[] = [];
    for (const [i, job] of jobs.entries()) {
      const of = jobs.length > 1 ? ` (job ${i + 1} of ${jobs.length})` : '';
      reports.push(await runJob(ctx, target, job, { ...opts, ...(opts.progress ? { progress: (text: string) => opts.progress?.(`${text}${of}`) } : {}) }));
    }
    return reports;
  });
}

/** What retention would delete if a backup of the job were taken now. */
export async function wouldExpire(ctx: BackupContext, target: string, job: BackupJob): Promise<BackupRecord[]> {
  const ok = await ctx.deps.catalog.list(target, { job: job.name, status: 'ok', safety: false });
  const next = { _id: '(next)', startedAt: ctx.now() } as BackupRecord;
  return expiredBackups([next, ...ok], job.retention, ctx.now(), [next._id]);
}

/** One job's backup; the caller holds the target's lock. */
export async function runJob(ctx: BackupContext, target: string, job: BackupJob, opts: RunOptions): Promise<RunReport> {
  const engine = engineFor(ctx.deps.engines, job);
  const startedAt = ctx.now();
  const id = newBackupId(job.name, startedAt);
  const gzip = job.compression === 'gzip';
  const file = backupFilePath(job.destination, target, id, engine.extension(job), gzip, opts.safety);
  const record: BackupRecord = {
    _id: id, target, job: job.name, kind: job.kind, path: file, size: 0, checksum: '', compression: job.compression,
    startedAt, status: 'running', verified: false,
    ...(opts.safety ? { safety: true } : {}), ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.by ? { by: opts.by } : {}),
  };
  await ctx.deps.catalog.insert(record);
  const work = workDirOf(job, id);
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await freshWorkDir(job, id);
    const ectx = engineContext(job, work, ctx.deps.toolPath, opts.signal);
    const what = opts.safety ? `safety copy of ${target}` : `${target} / ${job.name}`;
    opts.progress?.(`Dumping ${what} (${job.kind})…`);
    const dumped = await engine.dump(job, opts.safety ? 'restore-target' : 'source', ectx);
    opts.progress?.(`${gzip ? `Compressing (gzip level ${job.compressionLevel})` : 'Storing'} and checksumming ${what}…`);
    const stored = await storeArtifact(dumped.artifact, file, { gzip, level: job.compressionLevel, signal: ectx.signal });
    Object.assign(record, { status: 'ok', size: stored.size, checksum: stored.checksum, finishedAt: ctx.now(), figures: dumped.figures });
    if (opts.safety) {
      // The safety copy's restore test runs on the artifact it was just made from.
      opts.progress?.(`Checking the safety copy of ${target}…`);
      const check = await engine.check(job, dumped.artifact, ectx);
      Object.assign(record, { verified: true, verifiedAt: ctx.now(), verifyDetail: check.detail });
    }
    await ctx.deps.catalog.update(id, record);
  } catch (e) {
    const error = errorMessage(e);
    Object.assign(record, { status: 'failed', error, finishedAt: ctx.now() });
    await ctx.deps.catalog.update(id, { status: 'failed', error, finishedAt: record.finishedAt });
    await removeQuietly(file);
    return { job, record, ok: false, error, ...(e instanceof UserError ? { errorCode: e.code } : isSystemError(e) ? {} : { internalError: e }), deleted: [] };
  } finally {
    await removeQuietly(work);
  }
  if (!opts.safety) opts.progress?.(`Verifying ${id} (checksum, ${gzip ? 'gzip integrity, ' : ''}restore test)…`);
  const verify = opts.safety ? undefined : await verifyRecord(ctx, record, opts.signal);
  // A verified backup is copied off-site; the copy's check is one more step of the run.
  if (verify?.ok && job.offsite) {
    opts.progress?.(`Copying ${id} off-site…`);
    const step = await copyOffsite(offsiteDepsOf(ctx), job, verify.record, opts.signal);
    verify.steps.push(step);
    verify.ok = step.ok;
  }
  const deleted = await applyRetention(ctx, target, job, !!opts.safety, [id]);
  const remote = job.offsite && !opts.safety ? await offsiteRetention(offsiteDepsOf(ctx), target, job, [id], opts.signal) : undefined;
  return {
    job, record: verify?.record ?? record, ok: verify ? verify.ok : true, ...(verify ? { verify } : {}), deleted,
    ...(remote ? { offsiteDeleted: remote.deleted, offsiteErrors: remote.errors } : {}),
  };
}

async function applyRetention(ctx: BackupContext, target: string, job: BackupJob, safety: boolean, protect: string[]): Promise<BackupRecord[]> {
  // Records whose local file retention already removed (their off-site copy remains) are not local backups any more.
  const ok = (await ctx.deps.catalog.list(target, { job: job.name, status: 'ok', safety })).filter((r) => !r.localDeleted);
  const expired = expiredBackups(ok, job.retention, ctx.now(), protect);
  const deleted: BackupRecord[] = [];
  for (const rec of expired) {
    try {
      const real = await containedFile(job.destination, rec.path);
      await rm(real, { force: true });
    } catch (e) {
      // A file already gone is fine to forget; one outside the folder is never touched.
      if (!(e instanceof UserError && e.code === 'not_found')) continue;
    }
    // The off-site copy outlives the local file under its own retention: the record stays.
    if (hasOffsite(rec)) await ctx.deps.catalog.update(rec._id, { localDeleted: true });
    else await ctx.deps.catalog.remove(rec._id);
    deleted.push(rec);
  }
  return deleted;
}
