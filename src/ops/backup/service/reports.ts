/** What the backup operations report: plain data, turned into replies by the handlers. */
import type { BackupJob } from '../../../config/backup-schema.js';
import type { BackupRecord } from '../types.js';

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
  /** Off-site copies retention deleted from the bucket, and the deletions that failed. */
  offsiteDeleted?: BackupRecord[];
  offsiteErrors?: string[];
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
