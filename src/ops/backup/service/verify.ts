/** Verification of a backup: checksum, gzip integrity and the engine's restore test, recorded in the catalog. */
import path from 'node:path';
import type { BackupJob } from '../../../config/backup-schema.js';
import { UserError, errorMessage } from '../../../core/errors.js';
import { extractArtifact, gzipTest, sha256File } from '../compress.js';
import { engineFor } from '../engines.js';
import { containedFile } from '../paths.js';
import type { BackupRecord } from '../types.js';
import { jobOf, jobsOf, recordOf, type BackupContext } from './context.js';
import { locked } from './lock.js';
import type { Step, VerifyReport } from './reports.js';
import { engineContext, freshWorkDir, removeQuietly } from './workspace.js';

/** `backup verify <target> [id]`: the given backup, or the latest of each job, under the target's lock. */
export async function verifyBackups(ctx: BackupContext, target: string, id?: string, signal?: AbortSignal): Promise<VerifyReport[]> {
  let records: BackupRecord[];
  if (id !== undefined) {
    const rec = await recordOf(ctx, target, id);
    if (rec.status !== 'ok') throw new UserError('invalid', `backup ${id} did not complete (${rec.status}${rec.error ? `: ${rec.error}` : ''}): there is nothing to verify`);
    records = [rec];
  } else {
    records = [];
    for (const job of jobsOf(ctx, target)) {
      const latest = await ctx.deps.catalog.latest(target, job.name);
      if (latest) records.push(latest);
    }
    if (records.length === 0) throw new UserError('not_found', `${target} has no completed backups yet (run \`backup run ${target}\`)`);
  }
  const jobs = records.map((r) => jobOf(ctx, r));
  return locked(ctx, target, jobs, async () => {
    const out: VerifyReport[] = [];
    for (const rec of records) out.push(await verifyRecord(ctx, rec, signal));
    return out;
  });
}

/** Checksum and gzip test only (no restore test): cheap enough for `backup status`. */
export async function intact(job: BackupJob, rec: BackupRecord, signal?: AbortSignal): Promise<Step> {
  try {
    const real = await containedFile(job.destination, rec.path);
    const sum = await sha256File(real, signal);
    if (sum !== rec.checksum) return { name: 'intact', ok: false, detail: 'checksum mismatch: the file changed since it was written' };
    if (rec.compression === 'gzip') {
      await gzipTest(real, signal);
    }
    return { name: 'intact', ok: true, detail: `checksum ok${rec.compression === 'gzip' ? ', gzip -t ok' : ''}` };
  } catch (e) {
    return { name: 'intact', ok: false, detail: errorMessage(e) };
  }
}

/** The full verification of one record; the result is written to the catalog. */
export async function verifyRecord(ctx: BackupContext, rec: BackupRecord, signal?: AbortSignal): Promise<VerifyReport> {
  const job = jobOf(ctx, rec);
  // Only the off-site copy is left: nothing to check here, and the record's last verdict stands.
  if (rec.localDeleted) {
    return { record: rec, ok: false, steps: [{ name: 'file', ok: false, detail: `retention removed the local file; the off-site copy ${rec.offsite?.url ?? '(none)'} remains (restore fetches it)` }] };
  }
  const engine = engineFor(ctx.deps.engines, job);
  const steps: Step[] = [];
  const work = await freshWorkDir(job, `${rec._id}-verify`);
  try {
    const ectx = engineContext(job, work, ctx.deps.toolPath, signal);
    const real = await containedFile(job.destination, rec.path);
    const sum = await sha256File(real, ectx.signal);
    steps.push(sum === rec.checksum
      ? { name: 'checksum', ok: true, detail: `sha256 ${sum.slice(0, 12)}… matches` }
      : { name: 'checksum', ok: false, detail: `sha256 ${sum.slice(0, 12)}… differs from the recorded ${rec.checksum.slice(0, 12)}…` });
    if (steps[0]?.ok) {
      const artifact = path.join(work, `artifact.${engine.extension(job)}`);
      await extractArtifact(real, artifact, rec.compression === 'gzip', ectx.signal);
      if (rec.compression === 'gzip') steps.push({ name: 'gzip', ok: true, detail: 'gzip stream intact' });
      const check = await engine.check(job, artifact, ectx);
      steps.push({ name: 'restore test', ok: true, detail: check.detail });
    }
  } catch (e) {
    const msg = errorMessage(e);
    steps.push({ name: /gzip/.test(msg) ? 'gzip' : steps.length ? 'restore test' : 'file', ok: false, detail: msg });
  } finally {
    await removeQuietly(work);
  }
  const ok = steps.every((s) => s.ok);
  const verifiedAt = ctx.now();
  const verifyDetail = steps.map((s) => `${s.name}: ${s.detail}`).join('; ');
  await ctx.deps.catalog.update(rec._id, { verified: ok, verifiedAt, verifyDetail });
  return { record: { ...rec, verified: ok, verifiedAt, verifyDetail }, ok, steps };
}
