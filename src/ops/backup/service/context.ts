/** What every backup operation shares: the service's dependencies, its clock, and job and record look-ups. */
import type { BackupJob } from '../../../config/backup-schema.js';
import type { Coordination } from '../../../core/coordination/types.js';
import { UserError } from '../../../core/errors.js';
import type { BackupCatalog } from '../catalog.js';
import type { EngineMap } from '../engines.js';
import { assertBackupId } from '../paths.js';
import type { BackupRecord } from '../types.js';
import type { OffsiteDeps, OffsiteStores } from '../offsite/index.js';

export interface BackupServiceDeps {
  /** Backup jobs per target, from config. */
  jobs: Record<string, BackupJob[]>;
  catalog: BackupCatalog;
  coordination: Coordination;
  engines: EngineMap;
  /** PATH for the external tools the engines run (the bot's own PATH, from the composition root). */
  toolPath?: string | undefined;
  now?: () => Date;
  /** The service of a target that `stopService` jobs stop before a restore and start after (undefined: none configured). */
  serviceOf?: (target: string) => StoppableService | undefined;
  /** The S3 store of a job with an `offsite` section (README "Off-site copies"). */
  offsite?: OffsiteStores;
}

/** What a restore needs of a service manager (ops/services' ServiceManager has it). */
export interface StoppableService {
  describe(): string;
  stop(signal?: AbortSignal): Promise<void>;
  start(signal?: AbortSignal): Promise<void>;
}

export interface BackupContext {
  deps: BackupServiceDeps;
  now: () => Date;
}

/** What the off-site copy operations need; a job with `offsite` in a process without stores is a clear error. */
export function offsiteDepsOf(ctx: BackupContext): OffsiteDeps {
  const stores = ctx.deps.offsite;
  return {
    catalog: ctx.deps.catalog,
    now: ctx.now,
    storeOf: (job) => {
      if (!stores) throw new UserError('unavailable', `backup job ${job.name} has an offsite section, but off-site storage is not available in this process`);
      return stores(job);
    },
  };
}

/** The jobs of a target (one when `name` is given); a clear error when there are none. */
export function jobsOf(ctx: BackupContext, target: string, name?: string): BackupJob[] {
  const jobs = ctx.deps.jobs[target] ?? [];
  if (jobs.length === 0) throw new UserError('not_found', `${target} has no backups configured (add \`backups:\` to the target)`);
  if (name === undefined) return jobs;
  const job = jobs.find((j) => j.name === name);
  if (!job) throw new UserError('not_found', `${target} has no backup named "${name}" (backups: ${jobs.map((j) => j.name).join(', ')})`);
  return [job];
}

/** The one job a record was made by. */
export function jobOf(ctx: BackupContext, rec: Pick<BackupRecord, 'target' | 'job'>): BackupJob {
  return jobsOf(ctx, rec.target, rec.job)[0] as BackupJob;
}

/** The catalog record of a backup id of this target; the id is checked before it is used. */
export async function recordOf(ctx: BackupContext, target: string, id: string): Promise<BackupRecord> {
  assertBackupId(id);
  const rec = await ctx.deps.catalog.get(target, id);
  if (!rec) throw new UserError('not_found', `no backup ${id} of ${target} (see \`backup list ${target}\`)`);
  return rec;
}
