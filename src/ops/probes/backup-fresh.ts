/** `backup-fresh`: the newest verified backup of each of the target's backup jobs is younger than maxAge. */
import type { BackupFreshProbeConfig } from '../../config/backup-schema.js';
import { formatDuration } from '../../core/duration.js';
import type { Probe, ProbeOutcome, ProbeStatus } from './types.js';

export const backupFreshProbe: Probe<BackupFreshProbeConfig> = async (cfg, ctx): Promise<ProbeOutcome> => {
  const backups = ctx.services?.backups;
  if (!backups || !ctx.target) return { status: 'fail', detail: 'the backup catalog is not available to this check' };
  const jobs = cfg.job ? [cfg.job] : backups.jobsOf(ctx.target);
  if (jobs.length === 0) return { status: 'fail', detail: `${ctx.target} has no backups configured` };
  if (cfg.job && !backups.jobsOf(ctx.target).includes(cfg.job)) return { status: 'fail', detail: `${ctx.target} has no backup named "${cfg.job}"` };
  const now = Date.now();
  const parts: string[] = [];
  const data: Record<string, number> = {};
  let status: ProbeStatus = 'ok';
  for (const job of jobs) {
    const rec = await backups.latestVerified(ctx.target, job);
    if (!rec) {
      status = 'fail';
      parts.push(`${job}: no verified backup`);
      continue;
    }
    const age = now - new Date(rec.startedAt).getTime();
    data[`${job}AgeSeconds`] = Math.round(age / 1000);
    let s: ProbeStatus = 'ok';
    if (age >= cfg.maxAge) s = 'fail';
    else if (cfg.warnAge !== undefined && age >= cfg.warnAge) s = 'warn';
    if (s === 'fail' || (s === 'warn' && status === 'ok')) status = s;
    parts.push(`${job}: ${rec._id} ${formatDuration(age)} old${s === 'ok' ? '' : ` (limit ${formatDuration(s === 'fail' ? cfg.maxAge : cfg.warnAge as number)})`}`);
  }
  return { status, detail: parts.join('; '), data };
};
