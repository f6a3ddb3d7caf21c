/** What every backup engine provides, and the catalog record of one backup. */
import type { Doc } from '../../core/store/types.js';
import type { BackupJob, BackupKind } from '../../config/backup-schema.js';
import type { OffsiteCopy } from './offsite/types.js';

export interface EngineContext {
  signal: AbortSignal;
  timeoutMs: number;
  /** A scratch folder of this run, inside the destination; removed afterwards. */
  workDir: string;
  /** PATH for external tools (pg_dump, mongodump); see runTool. */
  toolPath?: string | undefined;
}

export type Figures = Record<string, number | string>;

export interface DumpResult {
  /** The uncompressed artifact, a file inside workDir. */
  artifact: string;
  figures: Figures;
}

export interface CheckResult {
  /** One readable line: `integrity_check ok, 4 tables`. */
  detail: string;
  figures: Figures;
}

export interface BackupEngine<J extends BackupJob = BackupJob> {
  readonly kind: J['kind'];
  /** File extension of the uncompressed artifact: `sqlite`, `dump`, `tar`, `archive`. */
  extension(job: J): string;
  /** Dumps the job's source (or, for a safety copy, what `restore` would replace). */
  dump(job: J, from: 'source' | 'restore-target', ctx: EngineContext): Promise<DumpResult>;
  /** The restore test: the artifact opens/parses completely. Throws when it does not. */
  check(job: J, artifact: string, ctx: EngineContext): Promise<CheckResult>;
  /** Replaces the restore target with the artifact's content. */
  restore(job: J, artifact: string, ctx: EngineContext): Promise<{ detail: string; notes?: string[] }>;
  /** Where a restore writes, in words (for --dry-run and replies). Never includes a password. */
  restoreTargetOf(job: J): string;
  /** What a restore does, in words. */
  restoreMethod(job: J): string;
}

export type BackupStatus = 'running' | 'ok' | 'failed';

export interface BackupRecord extends Doc {
  target: string;
  job: string;
  kind: BackupKind;
  /** Absolute path of the stored file (inside the job's destination). */
  path: string;
  size: number;
  /** SHA-256 (hex) of the stored file. */
  checksum: string;
  compression: 'gzip' | 'none';
  startedAt: Date;
  finishedAt?: Date;
  status: BackupStatus;
  verified: boolean;
  verifiedAt?: Date;
  verifyDetail?: string;
  error?: string;
  figures?: Figures;
  /** A copy taken by `restore` of what it replaced. */
  safety?: boolean;
  reason?: string;
  by?: string;
  /** Where the off-site copy of this backup lives (README "Off-site copies"). */
  offsite?: OffsiteCopy;
  /** Why the off-site copy failed, when it did. */
  offsiteError?: string;
  /** Local retention removed the file; the off-site copy remains. */
  localDeleted?: boolean;
}
