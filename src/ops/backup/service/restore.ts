/** Restoring a backup: verify it first, keep a safety copy of what is there, then replace it. */
import path from 'node:path';
import { UserError } from '../../../core/errors.js';
import { extractArtifact } from '../compress.js';
import { engineFor } from '../engines.js';
import { containedFile } from '../paths.js';
import type { BackupRecord } from '../types.js';
import { jobOf, offsiteDepsOf, recordOf, type BackupContext } from './context.js';
import { fetchOffsite } from '../offsite/index.js';
import { existsSync } from 'node:fs';
import { locked } from './lock.js';
import type { RestorePlan, RestoreReport } from './reports.js';
import { runJob } from './run.js';
import { verifyRecord } from './verify.js';
import { freshWorkDir, engineContext, removeQuietly } from './workspace.js';
import type { ProgressFn } from '../../../core/progress.js';

/** What a restore of this backup would do and where it writes (for --dry-run and the reply). */
export async function planRestore(ctx: BackupContext, target: string, id: string): Promise<RestorePlan> {
  const record = await recordOf(ctx, target, id);
  const job = jobOf(ctx, record);
  const engine = engineFor(ctx.deps.engines, job);
  return { record, job, target: engine.restoreTargetOf(job), method: engine.restoreMethod(job), safetyDir: path.join(job.destination, 'safety') };
}

/** The service a `stopService` job stops; a job that asks for it on a target without one is a clear error. */
function serviceToStop(ctx: BackupContext, target: string) {
  const service = ctx.deps.serviceOf?.(target);
  if (!service) throw new UserError('invalid', `backup job of ${target} has stopService: true, but ${target} has no service manager or container configured; nothing was restored`);
  return service;
}

export async function restoreBackup(ctx: BackupContext, target: string, id: string, opts: { by?: string; signal?: AbortSignal; progress?: ProgressFn } = {}): Promise<RestoreReport> {
  const plan = await planRestore(ctx, target, id);
  const { record, job } = plan;
  if (record.status !== 'ok') throw new UserError('invalid', `backup ${id} did not complete (${record.status}): it cannot be restored`);
  return locked(ctx, target, [job], async () => {
    const started = performance.now();
    // The local file is gone (retention, a lost disk): bring it back from its off-site copy first.
    const fetched = job.offsite && (record.localDeleted || !existsSync(record.path)) ? await fetchOffsite(offsiteDepsOf(ctx), job, record, opts.signal) : undefined;
    opts.progress?.(`Verifying ${id} before restoring it (checksum, ${record.compression === 'gzip' ? 'gzip integrity, ' : ''}restore test)…`);
    const verify = await verifyRecord(ctx, record, opts.signal);
    if (!verify.ok) {
      const failed = verify.steps.find((s) => !s.ok);
      throw new UserError('failed', `backup ${id} failed verification (${failed?.name}: ${failed?.detail}); nothing was restored`);
    }
    const engine = engineFor(ctx.deps.engines, job);
    let safety: BackupRecord | null = null;
    let safetyNote: string | undefined;
    opts.progress?.(`Verified. Keeping a safety copy of ${plan.target}…`);
    const copy = await runJob(ctx, target, job, { ...opts, safety: true, reason: `before restore of ${id}` });
    if (copy.ok) safety = copy.record;
    else if (copy.errorCode === 'not_found') {
      safetyNote = `nothing to keep: ${copy.error}`;
      await ctx.deps.catalog.remove(copy.record._id);
    }
    else throw new UserError('failed', `could not take a safety copy of ${plan.target} (${copy.error}); nothing was restored`);

    const service = job.stopService ? serviceToStop(ctx, target) : undefined;
    const work = await freshWorkDir(job, `${id}-restore`);
    const serviceNotes: string[] = [];
    try {
      const artifact = path.join(work, `artifact.${engine.extension(job)}`);
      const real = await containedFile(job.destination, record.path);
      opts.progress?.(`Unpacking ${id}…`);
      await extractArtifact(real, artifact, record.compression === 'gzip', opts.signal);
      if (service) {
        try {
          await service.stop(opts.signal);
        } catch (e) {
          throw new UserError('failed', `could not stop ${service.describe()} (${(e as Error).message}); nothing was restored`);
        }
        serviceNotes.push(`stopped ${service.describe()} before the restore`);
      }
      let done: Awaited<ReturnType<typeof engine.restore>> | undefined;
      let restoreError: unknown;
      try {
        opts.progress?.(`Restoring ${plan.target} from ${id} (${plan.method})…`);
        done = await engine.restore(job, artifact, engineContext(job, work, ctx.deps.toolPath, opts.signal));
      } catch (e) {
        restoreError = e;
      }
      if (service) {
        try {
          await service.start(AbortSignal.timeout(120_000));
          serviceNotes.push(`started ${service.describe()} again`);
        } catch (e) {
          // The restore's own error (if any) wins; a failed start after a good restore is the error.
          if (!restoreError) throw new UserError('failed', `restored ${plan.target}, but could not start ${service.describe()} again: ${(e as Error).message}`);
        }
      }
      if (restoreError || !done) throw restoreError;
      return {
        record, verify, safety, ...(safetyNote ? { safetyNote } : {}), target: plan.target,
        detail: done.detail, notes: [...(fetched ? [fetched] : []), ...(done.notes ?? []), ...serviceNotes], durationMs: Math.round(performance.now() - started),
      };
    } finally {
      await removeQuietly(work);
    }
  });
}
