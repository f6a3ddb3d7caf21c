/**
 * Backup operations on real systems: run (dump → compress → checksum → verify → retention),
 * verify (checksum, gzip integrity, restore test), status, and restore (verify first, keep a
 * safety copy, then replace). One operation per target at a time, through a coordination lock.
 * Knows nothing of chat: handlers turn the reports into replies. Each operation lives in its own
 * file of this folder; this class is the one face the handlers and probes use.
 */
import type { BackupJob } from '../../../config/backup-schema.js';
import type { BackupFreshness } from '../catalog.js';
import type { BackupRecord } from '../types.js';
import { jobsOf, recordOf, type BackupContext, type BackupServiceDeps } from './context.js';
import type { JobStatus, RestorePlan, RestoreReport, RunReport, VerifyReport } from './reports.js';
import { restoreBackup, planRestore } from './restore.js';
import { runBackups, wouldExpire } from './run.js';
import { backupStatus } from './status.js';
import { verifyBackups } from './verify.js';
import type { ProgressFn } from '../../../core/progress.js';

export class BackupService implements BackupFreshness {
  private readonly ctx: BackupContext;

  constructor(private readonly deps: BackupServiceDeps) {
    this.ctx = { deps, now: deps.now ?? (() => new Date()) };
  }

  targets(): string[] {
    return Object.entries(this.deps.jobs).filter(([, j]) => j.length > 0).map(([t]) => t);
  }

  jobsOf(target: string): string[] {
    return (this.deps.jobs[target] ?? []).map((j) => j.name);
  }

  /** The jobs of a target (one when `name` is given); a clear error when there are none. */
  jobs(target: string, name?: string): BackupJob[] {
    return jobsOf(this.ctx, target, name);
  }

  latestVerified(target: string, job: string): Promise<BackupRecord | null> {
    return this.deps.catalog.latest(target, job, { verified: true });
  }

  list(target: string, limit = 20): Promise<BackupRecord[]> {
    this.jobs(target);
    return this.deps.catalog.list(target, { limit });
  }

  /** The catalog record of a backup id of this target; the id is checked before it is used. */
  record(target: string, id: string): Promise<BackupRecord> {
    return recordOf(this.ctx, target, id);
  }

  /** What retention would delete if a backup of the job were taken now. */
  wouldExpire(target: string, job: BackupJob): Promise<BackupRecord[]> {
    return wouldExpire(this.ctx, target, job);
  }

  run(target: string, opts: { job?: string; by?: string; signal?: AbortSignal; progress?: ProgressFn } = {}): Promise<RunReport[]> {
    return runBackups(this.ctx, target, opts);
  }

  verify(target: string, id?: string, signal?: AbortSignal): Promise<VerifyReport[]> {
    return verifyBackups(this.ctx, target, id, signal);
  }

  /** The NordLayer check: is today's backup there, is the latest intact, sizes over 7 days. */
  status(target: string, signal?: AbortSignal): Promise<JobStatus[]> {
    return backupStatus(this.ctx, target, signal);
  }

  planRestore(target: string, id: string): Promise<RestorePlan> {
    return planRestore(this.ctx, target, id);
  }

  restore(target: string, id: string, opts: { by?: string; signal?: AbortSignal; progress?: ProgressFn } = {}): Promise<RestoreReport> {
    return restoreBackup(this.ctx, target, id, opts);
  }
}
