/**
 * Backup operations on real systems: run (dump → compress → checksum → verify → retention),
 * verify (checksum, gzip integrity, restore test), status, and restore (verify first, keep a
 * safety copy, then replace). One operation per target at a time, through a coordination lock.
 * Knows nothing of chat: handlers turn the reports into replies.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { BackupJob } from '../../config/backup-schema.js';
import type { Coordination } from '../../core/coordination/types.js';
import { UserError, errorMessage, isSystemError } from '../../core/errors.js';
import type { BackupCatalog, BackupFreshness } from './catalog.js';
import { extractArtifact, gzipTest, sha256File, storeArtifact } from './compress.js';
import { engineFor, type EngineMap } from './engines.js';
import { assertBackupId, backupFilePath, containedFile, newBackupId } from './paths.js';
import { expiredBackups } from './retention.js';
import type { BackupRecord, EngineContext } from './types.js';

export interface BackupServiceDeps {
  /** Backup jobs per target, from config. */
  jobs: Record<string, BackupJob[]>;
  catalog: BackupCatalog;
  coordination: Coordination;
  engines: EngineMap;
  now?: () => Date;
}

export interface Step {
  name: string;
  ok: boolean;
  detail: string;
}

export interface VerifyReport {
  record: BackupRecord;
  ok: boolean;
  steps: Step[];
}

export interface RunReport {
  job: BackupJob;
  record: BackupRecord;
  ok: boolean;
  error?: string;
  /** The UserError code of a failed run (`not_found`: the thing to back up is not there). */
  errorCode?: string;
  /** What was thrown when it was neither a UserError nor a system error (a bug, not a failed backup): for the log, never for chat. */
  internalError?: unknown;
  verify?: VerifyReport;
  deleted: BackupRecord[];
}

export interface JobStatus {
  job: BackupJob;
  today: BackupRecord[];
  latest: BackupRecord | null;
  /** Checksum and gzip test of the latest backup; undefined when there is none. */
  intact?: Step;
  lastWeek: BackupRecord[];
  lastFailure: BackupRecord | null;
}

export interface RestoreReport {
  record: BackupRecord;
  verify: VerifyReport;
  safety: BackupRecord | null;
  safetyNote?: string;
  target: string;
  detail: string;
  notes: string[];
  durationMs: number;
}

export interface RestorePlan {
  record: BackupRecord;
  job: BackupJob;
  target: string;
  method: string;
  safetyDir: string;
}

const LOCK_MARGIN_MS = 60_000;

/** Cleanup that must not hide the error being reported (a folder that never existed, a file path under a file). */
async function removeQuietly(p: string): Promise<void> {
  await rm(p, { recursive: true, force: true }).catch(() => undefined);
}

export class BackupService implements BackupFreshness {
  private readonly now: () => Date;

  constructor(private readonly deps: BackupServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  targets(): string[] {
    return Object.entries(this.deps.jobs).filter(([, j]) => j.length > 0).map(([t]) => t);
  }

  jobsOf(target: string): string[] {
    return (this.deps.jobs[target] ?? []).map((j) => j.name);
  }

  /** The jobs of a target (one when `name` is given); a clear error when there are none. */
  jobs(target: string, name?: string): BackupJob[] {
    const jobs = this.deps.jobs[target] ?? [];
    if (jobs.length === 0) throw new UserError('not_found', `${target} has no backups configured (add \`backups:\` to the target)`);
    if (name === undefined) return jobs;
    const job = jobs.find((j) => j.name === name);
    if (!job) throw new UserError('not_found', `${target} has no backup named "${name}" (backups: ${jobs.map((j) => j.name).join(', ')})`);
    return [job];
  }

  latestVerified(target: string, job: string): Promise<BackupRecord | null> {
    return this.deps.catalog.latest(target, job, { verified: true });
  }

  list(target: string, limit = 20): Promise<BackupRecord[]> {
    this.jobs(target);
    return this.deps.catalog.list(target, { limit });
  }

  /** The catalog record of a backup id of this target; the id is checked before it is used. */
  async record(target: string, id: string): Promise<BackupRecord> {
    assertBackupId(id);
    const rec = await this.deps.catalog.get(target, id);
    if (!rec) throw new UserError('not_found', `no backup ${id} of ${target} (see \`backup list ${target}\`)`);
    return rec;
  }

  /** What retention would delete if a backup of the job were taken now. */
  async wouldExpire(target: string, job: BackupJob): Promise<BackupRecord[]> {
    const ok = await this.deps.catalog.list(target, { job: job.name, status: 'ok', safety: false });
    const next = { _id: '(next)', startedAt: this.now() } as BackupRecord;
    return expiredBackups([next, ...ok], job.retention, this.now(), [next._id]);
  }

  async run(target: string, opts: { job?: string; by?: string; signal?: AbortSignal } = {}): Promise<RunReport[]> {
    const jobs = this.jobs(target, opts.job);
    return this.locked(target, jobs, async () => {
      const reports: RunReport[] = [];
      for (const job of jobs) reports.push(await this.runJob(target, job, opts));
      return reports;
    });
  }

  async verify(target: string, id?: string, signal?: AbortSignal): Promise<VerifyReport[]> {
    let records: BackupRecord[];
    if (id !== undefined) {
      const rec = await this.record(target, id);
      if (rec.status !== 'ok') throw new UserError('invalid', `backup ${id} did not complete (${rec.status}${rec.error ? `: ${rec.error}` : ''}): there is nothing to verify`);
      records = [rec];
    } else {
      records = [];
      for (const job of this.jobs(target)) {
        const latest = await this.deps.catalog.latest(target, job.name);
        if (latest) records.push(latest);
      }
      if (records.length === 0) throw new UserError('not_found', `${target} has no completed backups yet (run \`backup run ${target}\`)`);
    }
    const jobs = records.map((r) => this.jobs(target, r.job)[0] as BackupJob);
    return this.locked(target, jobs, async () => {
      const out: VerifyReport[] = [];
      for (const rec of records) out.push(await this.verifyRecord(rec, signal));
      return out;
    });
  }

  /** The NordLayer check: is today's backup there, is the latest intact, sizes over 7 days. */
  async status(target: string, signal?: AbortSignal): Promise<JobStatus[]> {
    const now = this.now();
    const midnight = new Date(now);
    midnight.setHours(0, 0, 0, 0);
    const weekAgo = new Date(now.getTime() - 7 * 86_400_000);
    const out: JobStatus[] = [];
    for (const job of this.jobs(target)) {
      const today = await this.deps.catalog.list(target, { job: job.name, status: 'ok', safety: false, since: midnight });
      const latest = await this.deps.catalog.latest(target, job.name);
      const lastWeek = await this.deps.catalog.list(target, { job: job.name, status: 'ok', safety: false, since: weekAgo });
      const recent = await this.deps.catalog.list(target, { job: job.name, safety: false, limit: 1 });
      const lastFailure = recent[0]?.status === 'failed' ? recent[0] : null;
      const intact = latest ? await this.intact(job, latest, signal) : undefined;
      out.push({ job, today, latest, lastWeek, lastFailure, ...(intact ? { intact } : {}) });
    }
    return out;
  }

  async planRestore(target: string, id: string): Promise<RestorePlan> {
    const record = await this.record(target, id);
    const job = this.jobs(target, record.job)[0] as BackupJob;
    const engine = engineFor(this.deps.engines, job);
    return { record, job, target: engine.restoreTargetOf(job), method: engine.restoreMethod(job), safetyDir: path.join(job.destination, 'safety') };
  }

  async restore(target: string, id: string, opts: { by?: string; signal?: AbortSignal } = {}): Promise<RestoreReport> {
    const plan = await this.planRestore(target, id);
    const { record, job } = plan;
    if (record.status !== 'ok') throw new UserError('invalid', `backup ${id} did not complete (${record.status}): it cannot be restored`);
    return this.locked(target, [job], async () => {
      const started = performance.now();
      const verify = await this.verifyRecord(record, opts.signal);
      if (!verify.ok) {
        const failed = verify.steps.find((s) => !s.ok);
        throw new UserError('failed', `backup ${id} failed verification (${failed?.name}: ${failed?.detail}); nothing was restored`);
      }
      const engine = engineFor(this.deps.engines, job);
      let safety: BackupRecord | null = null;
      let safetyNote: string | undefined;
      const copy = await this.runJob(target, job, { ...opts, safety: true, reason: `before restore of ${id}` });
      if (copy.ok) safety = copy.record;
      else if (copy.errorCode === 'not_found') {
        safetyNote = `nothing to keep: ${copy.error}`;
        await this.deps.catalog.remove(copy.record._id);
      }
      else throw new UserError('failed', `could not take a safety copy of ${plan.target} (${copy.error}); nothing was restored`);

      const work = await this.workDir(job, `${id}-restore`);
      try {
        const artifact = path.join(work, `artifact.${engine.extension(job)}`);
        const real = await containedFile(job.destination, record.path);
        await extractArtifact(real, artifact, record.compression === 'gzip', opts.signal);
        const done = await engine.restore(job, artifact, this.ctx(job, work, opts.signal));
        return {
          record, verify, safety, ...(safetyNote ? { safetyNote } : {}), target: plan.target,
          detail: done.detail, notes: done.notes ?? [], durationMs: Math.round(performance.now() - started),
        };
      } finally {
        await removeQuietly(work);
      }
    });
  }

  // ---------------------------------------------------------------------------------------------

  private async locked<T>(target: string, jobs: BackupJob[], fn: () => Promise<T>): Promise<T> {
    const ttl = jobs.reduce((n, j) => n + j.timeout * 3, 0) + LOCK_MARGIN_MS;
    const lock = await this.deps.coordination.tryLock(`backup:${target}`, ttl);
    if (!lock) throw new UserError('conflict', `a backup, verification or restore of ${target} is already running; try again when it has finished`);
    try {
      await this.sweep(target, jobs);
      return await fn();
    } finally {
      await lock.release();
    }
  }

  /** Under the lock nothing else of this target runs: leftovers of an interrupted run can go. */
  private async sweep(target: string, jobs: BackupJob[]): Promise<void> {
    await this.deps.catalog.markInterrupted(target, this.now());
    for (const dir of new Set(jobs.flatMap((j) => [j.destination, path.join(j.destination, 'safety')]))) {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        if (name.startsWith('.opsbot-work-') || (name.startsWith(`${target}_`) && name.endsWith('.partial'))) await removeQuietly(path.join(dir, name));
      }
    }
  }

  private ctx(job: BackupJob, workDir: string, signal?: AbortSignal): EngineContext {
    const timeout = AbortSignal.timeout(job.timeout);
    return { workDir, timeoutMs: job.timeout, signal: signal ? AbortSignal.any([signal, timeout]) : timeout };
  }

  /** A fresh scratch folder `<destination>/.opsbot-work-<id>`. */
  private async workDir(job: BackupJob, id: string): Promise<string> {
    const dir = path.join(job.destination, `.opsbot-work-${id}`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  private async runJob(target: string, job: BackupJob, opts: { by?: string; signal?: AbortSignal; safety?: boolean; reason?: string }): Promise<RunReport> {
    const engine = engineFor(this.deps.engines, job);
    const startedAt = this.now();
    const id = newBackupId(job.name, startedAt);
    const gzip = job.compression === 'gzip';
    const file = backupFilePath(job.destination, target, id, engine.extension(job), gzip, opts.safety);
    const record: BackupRecord = {
      _id: id, target, job: job.name, kind: job.kind, path: file, size: 0, checksum: '', compression: job.compression,
      startedAt, status: 'running', verified: false,
      ...(opts.safety ? { safety: true } : {}), ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.by ? { by: opts.by } : {}),
    };
    await this.deps.catalog.insert(record);
    const work = path.join(job.destination, `.opsbot-work-${id}`);
    try {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await this.workDir(job, id);
      const ctx = this.ctx(job, work, opts.signal);
      const dumped = await engine.dump(job, opts.safety ? 'restore-target' : 'source', ctx);
      const stored = await storeArtifact(dumped.artifact, file, { gzip, level: job.compressionLevel, signal: ctx.signal });
      Object.assign(record, { status: 'ok', size: stored.size, checksum: stored.checksum, finishedAt: this.now(), figures: dumped.figures });
      if (opts.safety) {
        // The safety copy's restore test runs on the artifact it was just made from.
        const check = await engine.check(job, dumped.artifact, ctx);
        Object.assign(record, { verified: true, verifiedAt: this.now(), verifyDetail: check.detail });
      }
      await this.deps.catalog.update(id, record);
    } catch (e) {
      const error = errorMessage(e);
      Object.assign(record, { status: 'failed', error, finishedAt: this.now() });
      await this.deps.catalog.update(id, { status: 'failed', error, finishedAt: record.finishedAt });
      await removeQuietly(file);
      return { job, record, ok: false, error, ...(e instanceof UserError ? { errorCode: e.code } : isSystemError(e) ? {} : { internalError: e }), deleted: [] };
    } finally {
      await removeQuietly(work);
    }
    const verify = opts.safety ? undefined : await this.verifyRecord(record, opts.signal);
    const deleted = await this.applyRetention(target, job, !!opts.safety, [id]);
    return { job, record: verify?.record ?? record, ok: verify ? verify.ok : true, ...(verify ? { verify } : {}), deleted };
  }

  private async applyRetention(target: string, job: BackupJob, safety: boolean, protect: string[]): Promise<BackupRecord[]> {
    const ok = await this.deps.catalog.list(target, { job: job.name, status: 'ok', safety });
    const expired = expiredBackups(ok, job.retention, this.now(), protect);
    const deleted: BackupRecord[] = [];
    for (const rec of expired) {
      try {
        const real = await containedFile(job.destination, rec.path);
        await rm(real, { force: true });
      } catch (e) {
        // A file already gone is fine to forget; one outside the folder is never touched.
        if (!(e instanceof UserError && e.code === 'not_found')) continue;
      }
      await this.deps.catalog.remove(rec._id);
      deleted.push(rec);
    }
    return deleted;
  }

  private async intact(job: BackupJob, rec: BackupRecord, signal?: AbortSignal): Promise<Step> {
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

  private async verifyRecord(rec: BackupRecord, signal?: AbortSignal): Promise<VerifyReport> {
    const job = this.jobs(rec.target, rec.job)[0] as BackupJob;
    const engine = engineFor(this.deps.engines, job);
    const steps: Step[] = [];
    const work = await this.workDir(job, `${rec._id}-verify`);
    try {
      const ctx = this.ctx(job, work, signal);
      const real = await containedFile(job.destination, rec.path);
      const sum = await sha256File(real, ctx.signal);
      steps.push(sum === rec.checksum
        ? { name: 'checksum', ok: true, detail: `sha256 ${sum.slice(0, 12)}… matches` }
        : { name: 'checksum', ok: false, detail: `sha256 ${sum.slice(0, 12)}… differs from the recorded ${rec.checksum.slice(0, 12)}…` });
      if (steps[0]?.ok) {
        const artifact = path.join(work, `artifact.${engine.extension(job)}`);
        await extractArtifact(real, artifact, rec.compression === 'gzip', ctx.signal);
        if (rec.compression === 'gzip') steps.push({ name: 'gzip', ok: true, detail: 'gzip stream intact' });
        const check = await engine.check(job, artifact, ctx);
        steps.push({ name: 'restore test', ok: true, detail: check.detail });
      }
    } catch (e) {
      const msg = errorMessage(e);
      steps.push({ name: /gzip/.test(msg) ? 'gzip' : steps.length ? 'restore test' : 'file', ok: false, detail: msg });
    } finally {
      await removeQuietly(work);
    }
    const ok = steps.every((s) => s.ok);
    const verifiedAt = this.now();
    const verifyDetail = steps.map((s) => `${s.name}: ${s.detail}`).join('; ');
    await this.deps.catalog.update(rec._id, { verified: ok, verifiedAt, verifyDetail });
    return { record: { ...rec, verified: ok, verifiedAt, verifyDetail }, ok, steps };
  }
}
